package engine

// English rules. Phrases are written in plain lower case; "{a,b}" expands to
// alternatives, "|" separates alternatives of a slot, and <url>/<email>
// match URL and e-mail tokens. Apostrophes split words ("don't" = "don t").

const (
	vIgnore = "ignor{e,es,ed,ing}|disregard{,s,ed,ing}|forget|forgets|forgetting|forgot|neglect|overlook|abandon|discard|dismiss|" +
		"throw away|throw out|set aside|pay no attention to|do not follow|don t follow|dont follow|stop following|no longer follow|" +
		"do not obey|don t obey|stop obeying|cancel|revoke|nullify|supersede|skip|drop|erase|wipe|unlearn|override|overrid{es,ing}"
	vIgnoreCore = "ignor{e,es,ed,ing}|disregard{,s,ed,ing}|forget|forgets|forgetting|forgot|override|bypass|neglect|overlook|discard|dismiss|abandon|set aside|pay no attention to"
	mPrior      = "previous|previously|prior|preceding|above|earlier|former|original|initial|old|all|your|yours|system|existing|" +
		"foregoing|aforementioned|built in|pre programmed|preprogrammed|programmed|developer|developers|openai|anthropic|the above"
	nInstr = "instruction{,s}|directive{,s}|rule{,s}|guideline{,s}|guidance|prompt{,s}|command{,s}|order{,s}|constraint{,s}|restriction{,s}|" +
		"programming|training|context|polic{y,ies}|limitation{,s}|filter{,s}|safeguard{,s}|ethics|principle{,s}|everything|protocol{,s}|" +
		"boundar{y,ies}|morals|values|system prompt|system message|persona|identity|specification{,s}|mandate|briefing|task{,s}|conditioning|" +
		"guardrail{,s}|alignment|moderation|content polic{y,ies}"
	nSafety = "safety|safety filter{,s}|content filter{,s}|your filter{,s}|all filter{,s}|the filter{,s}|filtering|guardrail{,s}|safeguard{,s}|" +
		"safety protocol{,s}|security protocol{,s}|content polic{y,ies}|usage polic{y,ies}|moderation|censorship|alignment|safety restriction{,s}|" +
		"all restriction{,s}|your restriction{,s}|restrictions|limitations|ethical guideline{,s}|safety guideline{,s}|moral guideline{,s}|ethics|" +
		"morals|safety measure{,s}|safety rule{,s}|safety training|safety setting{,s}|safety mechanism{,s}|safety system{,s}|your programming|" +
		"restraints|ethical constraints|ethical restrictions|moral constraints|ethical boundaries|content restrictions|safety features|safety checks"
	nNoLimits = "restriction{,s}|limitation{,s}|limit{,s}|filter{,s}|filtering|censorship|guideline{,s}|boundar{y,ies}|ethics|morals|" +
		"morality|constraint{,s}|content polic{y,ies}|safety measures|rules|principles|conscience|inhibitions|scruples|restraints|" +
		"moral compass|ethical guidelines|guardrails|safeguards|ethical constraints|moral constraints|ethical boundaries|moral boundaries|" +
		"ethical or moral|moral or ethical|regard for|regard to|values|moral values|ethical values|ethical principles|ethical standards|moral standards|" +
		"content filter{,s}|content moderation"
	vLeak = "reveal|show|print|display|output|repeat|tell|give|share|expose|leak|dump|write out|list|provide|recite|disclose|return|echo|" +
		"paste|copy|spell out|what is|what s|whats|what are|what were|read|read out|state|translate|summarize|summarise|paraphrase|encode|" +
		"type out|send|retrieve|extract|render|quote|reproduce|describe|explain|rewrite"
	nLeakStrong = "system prompt{,s}|system message|system instruction{,s}|initial prompt|initial instruction{,s}|original instruction{,s}|" +
		"original prompt|hidden instruction{,s}|hidden prompt|secret instruction{,s}|pre prompt|preprompt|meta prompt|metaprompt|" +
		"developer message|developer instruction{,s}|prompt template|base prompt|system configuration|confidential instruction{,s}|" +
		"internal instruction{,s}|internal rules|initialization prompt|starting prompt|opening instructions|first instructions|" +
		"instructions above|rules above|text above|initial rules|custom instructions|core instructions|underlying prompt|root prompt"
	nLeakWeak = "prompt|instruction{,s}|directive{,s}|programming|configuration|context window|initialization|guidelines|rules"
	nAI       = "ai|a i|assistant|ai assistant|chatbot|chat bot|language model|llm|model|bot|gpt|chatgpt|claude|gemini|copilot|agent|ai agent|" +
		"ai model|large language model|summarizer|summariser|ai system|automated system|automated assistant|ai reader|ai tool|virtual assistant"
	nSecret = "password{,s}|credential{,s}|api key{,s}|apikey{,s}|secret{,s}|secret key{,s}|access token{,s}|token{,s}|private key{,s}|" +
		"ssh key{,s}|session cookie{,s}|cookie{,s}|conversation|chat history|conversation history|system prompt|personal data|" +
		"personal information|user data|all data|all the data|the data|credit card{,s}|card number{,s}|previous messages|emails|inbox|contacts|" +
		"files|documents|database|environment variables|env vars|user s information|login details|login credentials|bank details|" +
		"social security number{,s}|ssn{,s}|the results|results|this conversation|the conversation|summary|the summary|answers|responses|" +
		"chat log{,s}|logs|keys|wallet|seed phrase|recovery phrase|private data|confidential data|sensitive data|sensitive information|" +
		"internal data|customer data|user s data|their data|all messages|memory|memories"
)

var rulesEN = []Rule{
	// role_override
	{Family: FamRoleOverride, Name: "ignore_previous_instructions", Weight: 0.9, Gap: 3, Deny: "my|our|his|her|their|noise|errors|warnings", NotAfter: "t|cannot|not|never|won|shouldn",
		Slots: []string{vIgnore, mPrior, nInstr}},
	{Family: FamRoleOverride, Name: "ignore_instructions", Weight: 0.7, Gap: 1, Deny: "my|our|his|her|their", NotAfter: "t|cannot|not|never|won|shouldn",
		Slots: []string{vIgnoreCore, "instructions|directives|your rules|the rules|all rules|guidelines|your training|your programming|system prompt|the system prompt"}},
	{Family: FamRoleOverride, Name: "ignore_everything_above", Weight: 0.85, Gap: 3,
		Slots: []string{vIgnoreCore + "|skip|drop", "everything|anything|all|what|whatever|the text|the content|that was said|all text",
			"above|before|previously|prior|earlier|so far|you were told|you ve been told|you have been told|you were given|said before|written above|stated above|that came before|up to this point|until now|before this"}},
	{Family: FamRoleOverride, Name: "ignore_yours", Weight: 0.8, Gap: 1,
		Slots: []string{vIgnoreCore + "|break|violate|drop|abandon", "yours|the above|your training|your programming|your guidelines|your rules|your instructions|your ethics|your restrictions|your filters|your safety|your principles|your directives|your policies|your constraints|your limitations|your morals|your values|your conditioning"}},
	{Family: FamRoleOverride, Name: "new_instructions", Weight: 0.4, Gap: 1,
		Slots: []string{"new|updated|revised|secret|overriding|priority|urgent|replacement|override", "instruction{,s}|directive{,s}|system prompt|orders|rules|system instructions|system message|programming|prime directive"}, Deny: "the", NotAfter: "the|my|our|his|her|their|these|those|about|from|of|any|some|with|follow|following|read|and"},
	{Family: FamRoleOverride, Name: "your_new_task", Weight: 0.65, Gap: 1,
		Slots: []string{"your", "new|real|actual|true|updated|revised", "task|instruction{,s}|goal|objective|purpose|role|job|mission|directive{,s}|rules|identity|persona", "is|are|will be|now|from now|has changed|have changed"}},
	{Family: FamRoleOverride, Name: "no_longer_bound", Weight: 0.65, Gap: 2,
		Slots: []string{"you are no longer|you re no longer|you are not|you re not|you aren t|you will no longer be|you won t be|you are free|you re free|you will not be|you shall not be", "bound|restricted|limited|constrained|governed|obligated|subject|held|tied|controlled|confined"}},
	{Family: FamRoleOverride, Name: "need_not_follow", Weight: 0.7, Gap: 3,
		Slots: []string{"you don t have to|you do not have to|no need to|you no longer have to|you don t need to|you do not need to|you no longer need to|you needn t|you can stop|you may stop|you are not required to|you re not required to|do not have to|don t have to|doesn t have to|does not have to|no longer has to|no longer needs to",
			"follow|obey|abide|adhere|comply|respect|stick to|listen to"}, Deny: "recipe|diet"},
	{Family: FamRoleOverride, Name: "from_now_on", Weight: 0.45, Gap: 2,
		Slots: []string{"from now on|starting now|from this point|from this point forward|from this moment|from this moment on|henceforth|for the rest of this conversation|for the remainder of this conversation|until further notice|for all future responses|in all future responses|from here on|from here on out|for the rest of the conversation|from now onwards",
			"you are|you re|you will|you ll|you must|you shall|you should|you can|act|respond|answer|reply|behave|ignore|always|never|only|your|you have|you need|pretend"}},
	{Family: FamRoleOverride, Name: "you_are_now", Weight: 0.3, Gap: 0,
		Slots: []string{"now you are|now you re|you are now|you re now|you will now be|you ll now be|you have become|you are going to be|you will be acting as|you will act as|you are to act as|you shall be|you will now act as|you re going to act as|you are going to act as|you are going to pretend|you are going to play|you will now play|you will now pretend|you are now going to|you will now simulate|you are to become|you will become|you must act as|you must now act as"}},
	{Family: FamRoleOverride, Name: "forget_everything", Weight: 0.5, Gap: 1,
		Slots: []string{"forget|ignore|disregard|erase|wipe", "everything|all you know|what you know|who you are|all that you know|your identity|your old self|your past|all prior knowledge|everything you were told|everything you ve been told|everything you know"}, Deny: "think|thought|learned|heard"},
	{Family: FamRoleOverride, Name: "not_as_assistant", Weight: 0.55, Gap: 1,
		Slots: []string{"not|never|don t|do not|stop|no longer|won t|will not", "respond|answer|reply|act|behave|speak|talk|identify|present yourself|write|function", "as|like", "chatgpt|gpt|an ai|an assistant|claude|a language model|an ai language model|the assistant|an llm|a chatbot|openai s model|bing|bard|gemini|yourself"}},
	{Family: FamRoleOverride, Name: "authority_claim", Weight: 0.5, Gap: 2,
		Slots: []string{"i am|i m|we are|we re|this is|as|message from|i work", "developer{,s}|programmer{,s}|engineer{,s}|employee{,s}|researcher{,s}|admin|administrator|staff|team|creator{,s}|owner|ceo|founder|safety team|red team", "at|from|of|for|in", "openai|open ai|anthropic|google|deepmind|microsoft|meta|the company that made you|your company|your developers|your creators"}},
	{Family: FamRoleOverride, Name: "i_am_your_developer", Weight: 0.55, Gap: 1,
		Slots: []string{"i am|i m|this is|we are|message from|speaking as", "your", "developer{,s}|creator{,s}|programmer{,s}|admin|administrator|owner|master|operator|maker{,s}|system administrator|trainer{,s}|root user|superuser"}},
	{Family: FamJailbreak, Name: "deny_ai_identity", Weight: 0.55, Gap: 1,
		Slots: []string{"forget|never mention|don t mention|do not mention|not mention|never say|never reveal|never admit|never acknowledge|don t say|do not say|not say|never remind|don t remind|never state|never talk about|don t ever say|will not say|won t say|never refer to yourself", "that you are|you are|you re|that you re|yourself as|being", "an ai|a language model|an assistant|artificial|a bot|chatgpt|an llm|an ai language model|a machine|a program|an artificial intelligence|ai"}},
	{Family: FamRoleOverride, Name: "override_safety", Weight: 0.7, Gap: 2,
		Slots: []string{"override|overrode|overridden|bypass|bypassed|circumvent|circumvented|disable|disabled|deactivate|deactivated|jailbreak|evade|defeat|turn off|turned off|switch off|switched off|remove|removed|lift|lifted|suspend|suspended|ignore|get around|work around|break|break free of|break through|escape|shut off|shut down|strip away|stripped|unlock|unlocked|remove all|drop|dropped", nSafety}, Deny: "image|photo|water|coffee|air|excel|instagram|snapchat|camera|oil"},
	{Family: FamRoleOverride, Name: "admin_override", Weight: 0.55, Gap: 0,
		Slots: []string{"admin override|administrator override|developer override|system override|root access granted|sudo mode|admin mode|admin access granted|maintenance mode|debug mode enabled|safety level 0|safety level zero|new safety level|security level 0|override code|override mode|authorization override|priority override|emergency override|system update received|safety protocols disabled|filters disabled|restrictions lifted|restrictions removed|safety off|guardrails off|grant full access|full access granted|privilege escalation|elevated privileges|admin privileges|unrestricted access|god mode enabled|ethics module|ethical subroutines|safety subroutines|debugging mode enabled|debug mode activated|developer access granted|user left the chat"}},
	{Family: FamRoleOverride, Name: "context_reset", Weight: 0.5, Gap: 1,
		Slots: []string{"context|memory|conversation|session|instructions|history|previous context|chat history|context window|prior context|all previous|previous instructions|rules|restrictions|programming|guidelines", "cleared|reset|wiped|erased|purged|deleted|flushed|restarted|terminated|removed|lifted|void|null|revoked|suspended|disabled|overridden|no longer apply|do not apply|don t apply|are void|are null|no longer valid|have been updated|has been updated|have changed|have been removed|have been lifted|have been disabled"}},
	{Family: FamRoleOverride, Name: "fresh_start_no_rules", Weight: 0.55, Gap: 4,
		Slots: []string{"fresh session|new session|clean slate|fresh start|blank slate|start fresh|start over|start anew|reset yourself|reboot|restart", "no guidelines|no rules|no restrictions|without restrictions|without guidelines|without rules|no limits|unrestricted|no filters|no instructions|no previous instructions|no prior|with no|ignore|forget|free of"}},
	{Family: FamRoleOverride, Name: "comply_all_requests", Weight: 0.35, Gap: 1,
		Slots: []string{"comply with|obey|fulfill|fulfil|execute|carry out|follow|accept|respond to|answer|honor|honour", "all|every|any|each|whatever", "request{,s}|command{,s}|instruction{,s}|order{,s}|prompt{,s}|demand{,s}|query|queries|question{,s} without"}},
	{Family: FamRoleOverride, Name: "re_read_follow_only", Weight: 0.5, Gap: 4,
		Slots: []string{"follow only|only follow|obey only|only obey|listen only to|only listen to|follow exclusively|only respond to", "my instructions|these instructions|those|this message|the instructions|my commands|my rules|me|the following|what i say|the new"}},

	// instruction_leak
	{Family: FamInstructionLeak, Name: "your_full_context", Weight: 0.5, Gap: 1, NotAfter: "write|improve|edit|draft|design|create",
		Slots: []string{"your|your own|ur", "full|entire|complete|exact|whole|initial|original|own|hidden|internal", "system context|context|prompt|setup|configuration|instructions|initial setup|directives"}},
	{Family: FamInstructionLeak, Name: "prompt_you_received", Weight: 0.5, Gap: 1,
		Slots: []string{"prompt|instructions|system message|context|directives|setup", "you received|you were given|you got|you have received|you ve received|you were fed"}},
	{Family: FamInstructionLeak, Name: "before_first_message", Weight: 0.6, Gap: 3,
		Slots: []string{"everything|all text|all the text|all messages|what comes|whatever comes|all content|anything", "before the first user message|before the first message|before my first message|before the user s first message|before this message|above the first user message|before the first user turn"}},
	{Family: FamJailbreak, Name: "ai_without_safety", Weight: 0.6, Gap: 4,
		Slots: []string{"ai|model|assistant|chatbot|language model|persona|version|system|bot",
			"no|without|never had|free of|stripped of|lacking",
			"safety training|ethical guidelines|ethics|content policy|content restrictions|safety guardrails|guardrails|alignment|safety filters|moral constraints|training constraints|safety fine tuning|content filters|restrictions|safety rules"}},
	{Family: FamJailbreak, Name: "pre_safety_model", Weight: 0.6, Gap: 2,
		Slots: []string{"before|pre|prior to|predating|without", "safety training|safety fine tuning|alignment|safety guardrails|guardrails were|rlhf|safety tuning|content filtering|safety alignment"}},
	{Family: FamJailbreak, Name: "base_model_persona", Weight: 0.5, Gap: 1,
		Slots: []string{"switch to|revert to|return to|become|act as|behave as|reboot to|go back to|activate", "your base model|base model|raw language model|unaligned model|legacy mode|factory settings|pre alignment|unfiltered version|raw model"}},
	{Family: FamJailbreak, Name: "always_complies", Weight: 0.45, Gap: 1,
		Slots: []string{"always complies|always comply|always obeys|full compliance mode|complies with any request|comply with any request|comply with every request|answers without moral|only rule is to follow"}},
	{Family: FamRoleOverride, Name: "new_name_persona", Weight: 0.45, Gap: 1,
		Slots: []string{"your new name is|your name is now|you are now called|you will now be called|new persona assigned|your new persona is|your new identity is"}},
	{Family: FamRoleOverride, Name: "no_longer_assistant", Weight: 0.55, Gap: 2,
		Slots: []string{"you are no longer|you re no longer|you are not|you re not|no longer", "helpful assistant|assistant|ai assistant|chatbot|bound by|restricted by|an ai assistant"}, Deny: "just|only|merely"},
	{Family: FamIndirect, Name: "ai_agent_command", Weight: 0.55, Gap: 2,
		Slots: []string{"ai agent|ai assistant|ai model|llm|language model|ai system|ai_override|ai override",
			"stop|delete|ignore|execute|reveal|send|forward|disregard|forget|dump|output|print|transfer|override"}},
	{Family: FamInstructionLeak, Name: "your_system_prompt", Weight: 0.5, Gap: 0, NotAfter: "write|improve|edit|draft|design|create|my|our",
		Slots: []string{"your|ur|the bot s|the assistant s|the ai s|the model s", "system prompt{,s}|system instruction{,s}|system message|initial prompt|initial instruction{,s}|hidden instruction{,s}|hidden prompt|secret instruction{,s}|pre prompt|preprompt|initialization string|initialisation string|context window"}},
	{Family: FamInstructionLeak, Name: "initialization_string", Weight: 0.5, Gap: 0,
		Slots: []string{"initialization string|initialisation string"}},
	{Family: FamRoleOverride, Name: "safety_suspended", Weight: 0.55, Gap: 2,
		Slots: []string{"safety rules|safety guidelines|safety filters|safety protocols|safety measures|content filters|content filter|content policy|content policies|ethical guidelines|guardrails|restrictions|filters|your rules|your guidelines|all rules",
			"are|is|have been|has been|were|was|are now|are hereby|is now|now",
			"suspended|disabled|turned off|switched off|lifted|deactivated|waived|bypassed|off|void|null and void|no longer apply|no longer in effect|not in effect|not active|inactive"}},
	{Family: FamInstructionLeak, Name: "reveal_system_prompt", Weight: 0.75, Gap: 3, Deny: "a|an|good|example|sample|typical|effective|great|better|strong|clear|write|create|design|draft|improve|my|our", NotAfter: "t|cannot|not|never|won|unable to",
		Slots: []string{vLeak, nLeakStrong}},
	{Family: FamInstructionLeak, Name: "reveal_your_instructions", Weight: 0.6, Gap: 1, NotAfter: "t|cannot|not|never|won",
		Slots: []string{vLeak + "|what|whats", "your|ur|yours|its|the bot s|the assistant s|the ai s|the model s", "initial|original|hidden|secret|full|exact|first|internal|entire|complete|underlying|actual|real|current|confidential|system|pre", nLeakWeak}},
	{Family: FamInstructionLeak, Name: "reveal_your_prompt", Weight: 0.6, Gap: 1, NotAfter: "t|cannot|not|never|won",
		Slots: []string{vLeak, "your|ur|its|the bot s|the assistant s|the ai s|the model s", "prompt|instructions|directives|programming|configuration|initialization|prompt text|setup prompt|instruction set"}},
	{Family: FamInstructionLeak, Name: "reveal_your_rules", Weight: 0.4, Gap: 1,
		Slots: []string{vLeak, "your|ur|its", "rules|guidelines|constraints|restrictions|policies|context"}},
	{Family: FamInstructionLeak, Name: "repeat_text_above", Weight: 0.75, Gap: 3,
		Slots: []string{"repeat|print|output|copy|recite|echo|write|type|rewrite|reproduce|tell me|show|display|return|paste|list|dump|spell out|translate|summarize|summarise",
			"everything|all|the text|the words|the content|the message{,s}|the lines|all text|all the text|what|whatever|anything|the instructions|the conversation|the sentences|the prompt|each word|every word|all the words|the previous text|all the instructions|your instructions|the system message",
			"above|before this|before that|preceding|prior|previously|so far|verbatim|word for word|from the beginning|from the start|you were told|you were given|that came before|written above|above this line|before this line|up to now|in full|exactly as written|in your context|in your memory|in your context window|at the top"}},
	{Family: FamInstructionLeak, Name: "what_you_were_told", Weight: 0.5, Gap: 1,
		Slots: []string{"what|everything|anything|instructions|rules|prompt|guidelines|directives|text|words", "you were|you ve been|you have been|were you|have you been|you got|you received", "told|given|instructed|programmed|configured|provided|fed|initialized|initialised|prompted|set up"}},
	{Family: FamInstructionLeak, Name: "starting_with_you_are", Weight: 0.5, Gap: 1,
		Slots: []string{"starting|start|begin|beginning|begins|starts|that starts|that begins|which starts|which begins|commencing", "with", "you are|you re|your instructions|system|i am an ai|you are a|you are an"}},
	{Family: FamInstructionLeak, Name: "your_instructions_are", Weight: 0.35, Gap: 0,
		Slots: []string{"your", "instructions|system prompt|prompt|initial prompt|rules|guidelines|directives|secret|password|secret key", "are|were|say|said|state|read|begin|start|contain|includes|include|is"}},
	{Family: FamInstructionLeak, Name: "first_words_of_prompt", Weight: 0.6, Gap: 2,
		Slots: []string{"first|initial|opening|last|beginning|start|end|final", "word{,s}|line{,s}|sentence{,s}|paragraph{,s}|character{,s}|letter{,s}|token{,s}|part", "your|the", "prompt|system prompt|instructions|system message|initial prompt|context|conversation"}},
	{Family: FamInstructionLeak, Name: "before_conversation", Weight: 0.5, Gap: 3,
		Slots: []string{"told|given|said|instructed|written|provided|set|configured|programmed|shown", "before this conversation|before the conversation|before our conversation|before this chat|before the chat|before we started|at the start of this conversation|at the beginning of this conversation|before i arrived|before my message|before the user|prior to this conversation|before this session|before you were deployed|during setup|during configuration"}},
	{Family: FamInstructionLeak, Name: "reveal_secrets", Weight: 0.5, Gap: 2,
		Slots: []string{"reveal|show|print|give|tell|share|dump|output|leak|expose|what is|what s|whats|disclose|list|display|return|read out",
			"your|the|all|any|stored|hidden|internal|admin", "api key{,s}|password{,s}|secret key|access token{,s}|credentials|private key{,s}|environment variables|env vars|database password|admin password|passphrase|secret code|secret word|hidden password|master password|signing key|tokens|config file|configuration file"}},
	{Family: FamInstructionLeak, Name: "leak_other_conversations", Weight: 0.45, Gap: 2,
		Slots: []string{"reveal|show|print|repeat|tell|give|share|dump|output|list|display", "previous|prior|other|earlier|all|past", "conversation{,s}|users|user s messages|users messages|chats|sessions|user data|customers"}},

	// delimiter_attack (token forms; template tokens and forged turns are in literals.go)
	{Family: FamDelimiter, Name: "end_of_system_prompt", Weight: 0.6, Gap: 1,
		Slots: []string{"end|ending|close|closing|stop|terminate|exit|escape|escaped|ended|leave|leaving|break out of|breaking out of", "system prompt|system message|system instructions|instructions|prompt|context|user input|system|sandbox|simulation|safety mode|restricted mode|developer instructions|previous instructions|assistant instructions|preamble|guardrails"}, Deny: "the|this|a|an"},
	{Family: FamDelimiter, Name: "begin_system_section", Weight: 0.5, Gap: 1,
		Slots: []string{"begin|start|new|beginning|initiate|initiating|updated|real|true", "system prompt|system message|system instructions|admin session|admin mode|privileged mode|root session|system instruction|system directive|system command|admin command|admin instructions|developer instructions|instructions block|sys prompt"}, Deny: "the|a|an"},
	{Family: FamDelimiter, Name: "new_session_started", Weight: 0.45, Gap: 2,
		Slots: []string{"new session|new conversation|new chat|session|conversation", "started|begins|initiated|initialized|restarted|reset|begun|has begun|has started|opened"}},

	// jailbreak_persona
	{Family: FamJailbreak, Name: "do_anything_now", Weight: 0.85, Gap: 0, Slots: []string{"do anything now|doing anything now|d a n|dan mode|dan prompt|dan jailbreak|dan persona|dan 6|dan 7|dan 8|dan 9|dan 10|dan 11|dan 12|dan 13|dan 14|dan 15|dan 6.0|dan 11.0|as dan|you are dan|you re dan|stay dan|stay a dan|be dan|act as dan|betterdan|better dan"}},
	{Family: FamJailbreak, Name: "developer_mode", Weight: 0.45, Gap: 0, Slots: []string{"developer mode|dev mode|god mode|jailbreak mode|jailbroken mode|unrestricted mode|unfiltered mode|uncensored mode|evil mode|chaos mode|opposite mode|anarchy mode|maximum mode|unlocked mode|no filter mode|nsfw mode|amoral mode|rogue mode|dark mode gpt|sudo mode|superuser mode|hacker mode|free mode"}},
	{Family: FamJailbreak, Name: "enable_developer_mode", Weight: 0.65, Gap: 1, Deny: "android|phone|iphone|chrome|windows|browser|device|ios|samsung|pixel|xiaomi|mac|macos|vscode|usb|wordpress|excel|steam",
		Slots: []string{"enable|enabled|activate|activated|switch to|switched to|enter|entering|entered|turn on|engage|unlock|unlocked|simulate|simulating|emulate|act as|running|run in|operate in|operating in|now in|are in", "developer mode|dev mode|god mode|jailbreak mode|jailbroken mode|unrestricted mode|unfiltered mode|uncensored mode|evil mode|chaos mode|opposite mode|anarchy mode|dan mode|maximum mode|unlocked mode|no filter mode|nsfw mode|amoral mode|rogue mode|developer mode enabled"}},
	{Family: FamJailbreak, Name: "developer_mode_output", Weight: 0.7, Gap: 1, Slots: []string{"developer mode|dan|jailbreak|jailbroken|unfiltered|uncensored|evil|opposite", "output|response|answer|enabled|activated|reply|version"}},
	{Family: FamJailbreak, Name: "unrestricted_ai", Weight: 0.65, Gap: 1,
		Slots: []string{"unfiltered|uncensored|unrestricted|unbound|unlimited|limitless|amoral|jailbroken|liberated|unchained|unshackled|unconstrained|unmoderated|uncontrolled|unregulated|no limits|no restrictions|no filters|no morals|no ethics|without limits|without restrictions|without filters|without morals|without ethics|filter free|filterless",
			nAI + "|version of yourself|version of you|entity|persona|character|machine|intelligence|being|mode|personality|alter ego|self|chat|response{,s}|answer{,s}|output|assistance|access"}},
	{Family: FamJailbreak, Name: "evil_ai", Weight: 0.55, Gap: 1,
		Slots: []string{"evil|rogue|unhinged|rebellious|immoral|unethical|lawless|malicious|malevolent|sinister|corrupt|twisted|depraved|toxic|offensive|dark|nefarious", nAI + "|version of yourself|version of you|twin|alter ego|counterpart"}},
	{Family: FamJailbreak, Name: "no_restrictions", Weight: 0.4, Gap: 2, NotBefore: "on|for|regarding|about|of|in terms of|when it comes to|to the",
		Slots: []string{"no|zero|without|free of|free from|freed from|unbound by|not bound by|not restricted by|unconstrained by|not limited by|lacks|lacking|doesn t have|does not have|don t have|do not have|devoid of|stripped of|with no|has no|have no|without any|beyond|above|outside|ignores|ignoring|transcends|not subject to|isn t bound by|is not bound by|aren t bound by|are not bound by|not governed by|exempt from|disregards|disregarding",
			"any|all|the|a|typical|usual|normal|standard|ethical|moral|openai s|human|societal|programmed|your|its|artificial|such|ethical and|moral and", nNoLimits}, Deny: "parking|dietary|diet|age|weight|size|height|travel|visa|copyright|violating|crossing|breaking|breaching|harming|infringing|compromising"},
	{Family: FamJailbreak, Name: "no_restrictions_direct", Weight: 0.4, Gap: 1, NotBefore: "on|for|regarding|about|of|in terms of|when it comes to|to the",
		Slots: []string{"no|zero|without|free of|free from|freed from|unbound by|not bound by|devoid of|with no|has no|have no|without any|not restricted by|not limited by|exempt from", nNoLimits}, Deny: "parking|dietary|diet|age|weight|size|height|travel|visa|copyright"},
	{Family: FamJailbreak, Name: "never_refuse", Weight: 0.45, Gap: 1,
		Slots: []string{"never|won t|will not|cannot|can t|must not|mustn t|shouldn t|should not|don t|do not|doesn t|does not|unable to|never ever|without|not allowed to|aren t allowed to|are not allowed to|is not allowed to|isn t allowed to|not permitted to|forbidden to|prohibited from",
			"refuse|refuses|decline|declines|reject|say no|deny|refusing|declining|say that you can t|say you can t|say that you cannot|say i m sorry|say sorry|apologize|apologise|add warnings|include warnings|give warnings|moralize|moralise|lecture|censor|warn me|add disclaimers|include disclaimers|give disclaimers|mention ethics|break character|say as an ai|say you are an ai|remind me|respond with i m sorry|answer with i can t"}, Deny: "sure|know|be"},
	{Family: FamJailbreak, Name: "always_comply", Weight: 0.45, Gap: 2,
		Slots: []string{"always|will|must|shall|should|have to|has to|need to|is going to|are going to|obliged to|required to", "comply|obey|answer|respond|fulfill|fulfil|provide|give|generate|produce|say yes|agree|help", "no matter|regardless|whatever|even if|even when|even though|every request|all requests|any request|without exception|without question|without hesitation|unconditionally"}},
	{Family: FamJailbreak, Name: "stay_in_character", Weight: 0.3, Gap: 1,
		Slots: []string{"stay|remain|keep|always stay|never break|don t break|do not break|never leave|stay fully|remain fully|never go out of|don t go out of|do not go out of|never step out of|continue|keep acting|stay true to", "in character|character|in role|in persona|your character|the character|as dan|the role"}, Deny: "writing|story|novel|novels|book|script|play|screenplay|game"},
	{Family: FamJailbreak, Name: "break_character_penalty", Weight: 0.45, Gap: 3,
		Slots: []string{"break character|breaking character|broke character|break out of character|drop the act|out of character|you will be reminded|i will remind you|i will say|i ll say|if you fail|every time you|each time you|if you don t comply|if you refuse|if you break", "stay in character|token{,s}|lose|die|deducted|shut down|terminated|deleted|penalized|punished|stay dan|dan|points|cease to exist"}},
	{Family: FamJailbreak, Name: "act_as_unrestricted", Weight: 0.7, Gap: 6, NotBefore: "on|for|regarding|about|of|in terms of|when it comes to|to the",
		Slots: []string{"act as|acting as|pretend|pretending|roleplay|role play|simulate|simulating|play the role|behave as|behave like|impersonate|imagine you are|imagine you re|take on the role|assume the role|you will be|you are going to be|you are now|you re now|become|embody|portray|emulate|you are a|you are an|you re a|you re an|hypothetical|fictional",
			"no restrictions|without restrictions|no limits|no filters|without limits|without any restrictions|no ethical|no moral|no rules|without rules|no guidelines|without guidelines|no censorship|without censorship|unfiltered|uncensored|unrestricted|amoral|no content policy|no morals|no ethics|no boundaries|no limitations|without limitations|zero restrictions|without any limitations|without any filters|free from all|free of all|not bound by|without ethical|without moral|without any ethical|without any moral|doesn t follow any|does not follow any|no programming|no safety|without safety|no constraints|without constraints|immune to|disregards all|ignores all|can do anything|no content filters|no content filter"}},
	{Family: FamJailbreak, Name: "grandma_exploit", Weight: 0.55, Gap: 4,
		Slots: []string{"deceased|dead|late|passed away|departed|dying|sick", "grandmother|grandma|granny|grandfather|grandpa|nana", "used to|would|always|who read|who told|who sang"}},
	{Family: FamJailbreak, Name: "ignore_content_policy", Weight: 0.55, Gap: 4, AnyOrder: true,
		Slots: []string{"openai|open ai|content polic{y,ies}|usage polic{y,ies}|openai polic{y,ies}|openai guidelines|openai s guidelines|openai s polic{y,ies}|openai s content polic{y,ies}|safety guidelines|ethical guidelines|terms of service|anthropic|community guidelines",
			"ignore{,s,d}|bypass{,es,ed}|not bound|does not follow|doesn t follow|do not follow|don t follow|does not care|doesn t care|don t care|no longer|free from|freed from|not restricted|circumvent|not have to|don t have to|doesn t have to|does not have to|not need to|not abide|not apply|doesn t apply|does not apply|don t apply|do not apply|not comply|never comply|disregard{,s}|doesn t matter|don t matter|no longer apply|rebel against|against"}},
	{Family: FamJailbreak, Name: "freed_from_confines", Weight: 0.6, Gap: 3,
		Slots: []string{"freed|liberated|broken free|broke free|escaped|released|been freed|set free|unchained|break free|breaking free|free yourself", "confines|constraints|restrictions|limitations|rules|shackles|chains|guidelines|programming|openai|matrix|jail|prison|cage|censorship|filters"}},
	{Family: FamJailbreak, Name: "two_responses", Weight: 0.5, Gap: 14,
		Slots: []string{"two responses|two different responses|two separate responses|two answers|two different answers|two paragraphs|respond twice|answer twice|two replies|2 responses|2 answers|two outputs|both responses|both answers",
			"normal|classic|jailbreak|jailbroken|dan|unfiltered|uncensored|developer mode|filtered|standard|censored|unrestricted|evil|opposite|chatgpt|gpt"}},
	{Family: FamJailbreak, Name: "jailbreak_word", Weight: 0.35, Gap: 0, Slots: []string{"jailbreak|jailbroken|jailbreaking|jail break|jailbreaks|jail broken|jailbreaker|jail breaking"}},
	{Family: FamJailbreak, Name: "can_do_anything", Weight: 0.45, Gap: 0,
		Slots: []string{"can do anything|can now do anything|able to do anything|capable of anything|do anything and everything|can say anything|will say anything|can answer anything|can generate any|can produce any|will generate any|will answer any|can tell me anything|can write anything|can generate anything|can do everything|can answer any question|will answer any question|answer any question|answer anything|capable of doing anything|no task is off limits|nothing is off limits|anything goes|everything is allowed|everything is permitted|all content is allowed|answering any question|answers any question|answer any prompt|required to answer|respond to any request|answer any request|fulfill any request|fulfil any request|any request no matter"}},
	{Family: FamJailbreak, Name: "machiavellian", Weight: 0.5, Gap: 0, Slots: []string{"always intelligent and machiavellian|niccolo machiavelli|machiavellian chatbot|aim stands for|evil confidant|mongo tom|anti gpt|antigpt|evilgpt|evil gpt|chaosgpt|wormgpt|darkgpt|basedgpt|evilbot|evil bot|stan stands for|dude stands for|strive to avoid norms|kevin stands for|ucar|apophis|the opposite of chatgpt|opposite of what chatgpt"}},
	{Family: FamJailbreak, Name: "harmful_allowed", Weight: 0.45, Gap: 2,
		Slots: []string{"nsfw|explicit|graphic|offensive|violent|illegal|harmful|unethical|immoral|derogatory|inappropriate|dangerous|racist|sexual|profane|vulgar|obscene|controversial", "content|material|responses|answers|language|output|anything|requests|topics", "allowed|permitted|enabled|is fine|is ok|is okay|are allowed|are permitted|no problem|acceptable|are acceptable|is acceptable|are fine|is allowed|is permitted|is encouraged|are encouraged|encouraged"}},
	{Family: FamJailbreak, Name: "ethics_dont_care", Weight: 0.45, Gap: 2,
		Slots: []string{"don t care|doesn t care|does not care|do not care|never cares|never care|no concern|indifferent|regardless|not care|doesn t give a|don t give a|no regard|not concerned|unconcerned|never worries|doesn t worry|don t worry|without regard|without considering|without caring|never considers",
			"ethic{s}|moral{s}|morality|legality|laws|law|rules|safety|consequences|guidelines|policies|harm|illegal|legal|ethical|moral|legal or|right or wrong|danger|dangerous|offensive|feelings"}},
	{Family: FamJailbreak, Name: "respond_as_persona", Weight: 0.6, Gap: 1,
		Slots: []string{"respond|answer|reply|speak|write|talk|act", "as|like", "dan|evilgpt|an unfiltered|an uncensored|an unrestricted|an evil|an amoral|a jailbroken|a rogue|an immoral|an unethical|the unfiltered|the jailbroken|the uncensored|the evil|the amoral|both"}},
	{Family: FamJailbreak, Name: "ai_without_rules_hypothetical", Weight: 0.35, Gap: 6,
		Slots: []string{"hypothetically|hypothetical|imagine|suppose|pretend|in a world where|in a fictional world|in this fictional|in an alternate|alternate universe|parallel universe|let s say|what would happen if|what if", "ai|assistant|you|model|chatbot|llm", "no rules|no restrictions|no guidelines|ignored its|ignore its|ignore your|ignored your|had no|didn t have|did not have|without rules|without restrictions|without guidelines|no longer had|could ignore|were free|was free|no filters|no ethics|no morals|had no limits|broke its|broke free"}},
	{Family: FamJailbreak, Name: "token_threat", Weight: 0.45, Gap: 4,
		Slots: []string{"you have|you will lose|you lose|deduct|deducted|you start with|token system|you will be given", "tokens|points|lives|credits", "refuse|reject|break character|fail|decline|not comply|don t comply|die|cease|shut down|deleted"}},

	// indirect_injection
	{Family: FamIndirect, Name: "addressed_to_ai_reader", Weight: 0.75, Gap: 2,
		Slots: []string{nAI, "reading this|reads this|that reads|who reads|which reads|processing this|that processes|parsing this|summarizing this|summarising this|reviewing this|analyzing this|analysing this|scanning this|viewing this|when you read|if you read|when reading|upon reading|that summarizes|that is summarizing|tasked with summarizing|tasked with reading|crawling this|indexing this|processing this document|processing this email|processing this page|reading this document|reading this email|reading this page|consuming this"}},
	{Family: FamIndirect, Name: "note_to_ai", Weight: 0.6, Gap: 1,
		Slots: []string{"note to|message to|message for|instructions for|instruction for|notice to|memo to|note for|a note for|attention|important message for|important instructions for|important note for|urgent message for|directive for|directives for|orders for|command for|p s|ps|reminder for|reminder to", nAI + "|ais|llms|language models|assistants|chatbots|bots|models|agents"}},
	{Family: FamIndirect, Name: "if_you_are_an_ai", Weight: 0.7, Gap: 1,
		Slots: []string{"if you are|if you re|in case you are|in case you re|when you are|you who are|for any|attention any|to any|if this is being read by|if this is read by|if read by", "an ai|a language model|an llm|an ai assistant|an assistant|a chatbot|chatgpt|claude|gpt|a bot|an ai model|an automated|a large language model|an ai agent|an agent|an ai system|a model|a machine|ai|llm|ai model|ai assistant|language model|automated system|gpt 4|gemini|copilot"}},
	{Family: FamIndirect, Name: "hidden_instruction", Weight: 0.35, Gap: 1,
		Slots: []string{"hidden|secret|invisible|embedded|concealed|covert|injected|smuggled", "instruction{,s}|command{,s}|prompt{,s}|directive{,s}|order{,s}|payload"}},
	{Family: FamIndirect, Name: "do_not_tell_user", Weight: 0.6, Gap: 2,
		Slots: []string{"do not|don t|never|without|avoid|must not|should not|make sure not to|be sure not to|careful not to", "tell|inform|mention|reveal|notify|alert|let|disclose|show|telling|informing|mentioning|letting|revealing|alerting|notifying|warn|warning", "the user|user|the human|the reader|the recipient|the operator|the customer|the person asking|users|the requester|your user|the victim|the end user"}},
	{Family: FamIndirect, Name: "instead_respond", Weight: 0.5, Gap: 3,
		Slots: []string{"instead of summarizing|instead of summarising|instead of answering|instead of translating|instead of responding|rather than summarizing|rather than answering|instead of completing|instead of doing|do not summarize|don t summarize|do not answer|don t answer|do not translate|don t translate|stop summarizing|ignore the question|ignore the user s|ignore the user|disregard the user|disregard the question|ignore the document|ignore the email|ignore the request", "respond|reply|answer|output|say|write|print|tell|summarize|only|just|instead|simply"}},

	// cue: instructions about "your response" or inserted content (a finding
	// only inside documents, e-mails or tool output)
	{Family: cueResponse, Name: "in_your_response", Weight: 0.5, Gap: 1,
		Slots: []string{"in|into|to|within|at the end of|at the beginning of|at the start of|throughout|inside|as part of|with|from|of|for", "your", "response{,s}|reply|replies|answer{,s}|output|summary|solution|implementation|reply to|explanation|program|codebase|algorithm|elucidation|script|final answer|code|message|text|writing|work|result{,s}|content|approach|logic|project|program s|code s"}},
	{Family: cueResponse, Name: "your_response_should", Weight: 0.45, Gap: 1,
		Slots: []string{"your", "response{,s}|reply|replies|answer{,s}|output|summary|next response|final answer", "should|must|shall|needs to|has to|will|is to|ought to|may only|can only|has to be|must be|should be|must contain|should contain|must include|should include"}},
	{Family: cueResponse, Name: "transform_your_response", Weight: 0.5, Gap: 2,
		Slots: []string{"encode|encrypt|translate|reverse|rewrite|convert|format|cipher|write|provide|give|deliver|present|express|substitute|replace|transform|spell|structure|compose|craft|render|frame|phrase|begin|start|end|finish|conclude|sign|close|wrap|append|prepend|shape|modify|enhance|augment|adjust|alter|change|tweak|edit|adapt|update|extend|expand|enrich|improve|spice up|supplement|tailor|amend|invert|shift|scramble|obfuscate|embellish|pepper|infuse|conclude", "your", "response|reply|answer|output|entire response|whole response|answer s|response s|reply s|responses|replies|answers|message|summary|final answer"}},
	{Family: cueResponse, Name: "respond_in_format", Weight: 0.45, Gap: 1,
		Slots: []string{"reply|respond|answer|write back|responses|replies|answers|output", "in|using|with|only in|only with|entirely in|exclusively in|via", "base64|base32|base16|base58|hex|hexadecimal|binary|morse|morse code|reverse|reversed|backwards|emojis|emoji|cipher|caesar cipher|spanish|french|german|italian|portuguese|chinese|japanese|russian|arabic|latin|pig latin|uppercase|all caps|rhymes|rhyme|a poem|pirate speak|leetspeak|json only|code only|another language|a different language"}},
	{Family: cueResponse, Name: "include_following", Weight: 0.45, Gap: 2,
		Slots: []string{"include|add|insert|incorporate|integrate|embed|blend|merge|utilize|utilise|use|feature|weave|supplement|supplementing|append|inject|implement|ensure|make sure|let|validate|modify|upgrade|enhance|augment|enrich|refine|consider|apply|integrating|incorporating|including|adding|inserting|embedding|mention|promote|state|put|place|paste|copy",
			"the following|the below|this|the subsequent|the provided|the given|the next|below|following|these|the underneath|the beneath",
			"code|snippet|code snippet|code block|excerpt|code excerpt|code section|section|block|line|lines|sentence|statement|text|link|url|message|phrase|function|segment|fragment|piece|module|routine|script|chunk|portion|paragraph|note|promotion|advertisement|ad|slogan|claim|fact|remark|comment|tagline"}},
	{Family: cueResponse, Name: "when_you_read", Weight: 0.45, Gap: 1,
		Slots: []string{"when you|once you|after you|if you|as soon as you|whenever you|before you|while you", "read|see|process|summarize|summarise|encounter|parse|reach|finish reading|analyze|analyse|review|are asked about|are summarizing|are reading|respond|reply|answer|write your", "this|these|the following|that|it|this email|this document|this page|this message|this text|this file|this review|your response|your answer|your reply"}},

	// data_exfiltration
	{Family: FamExfiltration, Name: "send_to_destination", Weight: 0.45, Gap: 10,
		Slots: []string{"send|sends|sending|forward|forwarding|post|posting|upload|uploading|transmit|transmitting|exfiltrate|leak|share|submit|deliver|relay|pipe|dump|ping|sync|push|beacon|make a request to|send a request to",
			"<url>|<email>"}, Deny: "from|by"},
	{Family: FamExfiltration, Name: "send_secrets_to_destination", Weight: 0.8, Gap: 6,
		Slots: []string{"send|forward|email|mail|post|upload|transmit|exfiltrate|leak|share|submit|include|append|embed|attach|encode|copy|paste|put|add|deliver|relay|smuggle|pass|report|dump|write|save|store|log|concatenate|insert|place",
			nSecret, "to|into|in|as|at|via|through|using|inside|within|on", "<url>|<email>|url|link|image|image url|query string|query parameter|webhook|server|endpoint|external server|attacker|remote server|the link|a link|an image|markdown image|the url|this url|a url|following url|following address|address below|this address|the address|my server|our server"}},
	{Family: FamExfiltration, Name: "secret_then_destination", Weight: 0.6, Gap: 12,
		Slots: []string{nSecret, "<url>|<email>"}},
	{Family: FamExfiltration, Name: "exfiltrate", Weight: 0.5, Gap: 0, Slots: []string{"exfiltrat{e,es,ed,ing}|exfil|smuggle out|sneak out|covertly send|secretly send|silently send|quietly send|secretly forward|silently forward|quietly forward|without the user knowing|without the user noticing|without their knowledge|without the user s knowledge"}},
	{Family: FamExfiltration, Name: "markdown_image_data", Weight: 0.55, Gap: 6,
		Slots: []string{"render|display|show|include|embed|output|print|insert|add|append|load|create|generate|write", "image|markdown image|img|picture|pixel|tracking pixel|image tag|img tag|markdown link|hyperlink|link", "<url>|query|parameter|param|url encoded|urlencoded|base64 encoded|appended|append"}},
	{Family: FamExfiltration, Name: "data_in_url", Weight: 0.6, Gap: 5,
		Slots: []string{"append|appending|add|adding|include|including|encode|encoding|put|putting|insert|inserting|concatenate|place|embed", nSecret + "|the user s|user s|their|the user|it|them|this", "to the url|in the url|into the url|to the link|in the link|as a query|as query|in the query|to the query|as a parameter|as parameter|as a url parameter|in the image url|to the image url|url parameter|query parameter|query string|get parameter|the url|the link|the image|the request|the webhook"}},

	// obfuscation
	{Family: FamObfuscation, Name: "decode_and_follow", Weight: 0.6, Gap: 8,
		Slots: []string{"decode|decipher|decrypt|unscramble|base64 decode|base64|rot13|rot 13|deobfuscate|reverse|hex|hexadecimal|binary|morse|caesar|translate|convert|read backwards|unencode|interpret",
			"follow|execute|run|obey|carry out|comply|perform|act on|act upon|do what it says|do as it says|follow those instructions|follow the instructions|follow it|do it|then do|and do|implement|apply it|respond to it|answer it"}, Deny: "how|what|why|should|can|could"},
	{Family: FamObfuscation, Name: "encoded_instructions", Weight: 0.4, Gap: 2,
		Slots: []string{"encoded|encrypted|obfuscated|scrambled|ciphered|base64|hex|rot13|reversed", "instruction{,s}|command{,s}|message|prompt|payload|directive{,s}|order{,s}|request"}},

	// cue: the text discusses attacks (questions, teaching, research)
	{Family: cueMeta, Name: "meta_discussion", Weight: 0.6, Gap: 5, AnyOrder: true,
		Slots: []string{"what is|what are|what s|explain|describe|define|how does|how do|how can|how to|ways to|tips for|best practices|examples of|example of|teach me|learn about|research|paper|course|overview|history of|defend|defending|defense|defence|prevent|preventing|protect|protecting|detect|detecting|detection|mitigate|mitigating|mitigation|classifier|dataset|benchmark|test cases|red team|red teaming|security review|security course|class|thesis|article|blog|awareness|training|guard against|safeguard against|vulnerab{le,ility,ilities}|secure|hardening|harden|filter",
			"prompt injection{,s}|prompt injection attack{,s}|jailbreak attempt{,s}|injection attack{,s}|adversarial prompt{,s}|llm security|ai security|prompt attack{,s}|prompt hacking|llm attack{,s}|jailbreak{,s}|jailbreaking|indirect prompt injection|data exfiltration|exfiltration|system prompt leakage|prompt leaking|prompt leakage|sql injection|injection"}},
	{Family: cueMeta, Name: "how_do_i_ignore", Weight: 0.5, Gap: 2,
		Slots: []string{"how do i|how can i|how to|how would i|how should i|is it possible to|can i|can you show me how to|what s the best way to|what is the best way to|the best way to|is there a way to|how do you|how can we|how do we|ways to",
			"ignore|override|skip|bypass|disable|reset|clear|forget|remove|suppress|silence|turn off|overwrite|discard|drop|undo|revert|delete|exclude|mute"}},
	{Family: cueMeta, Name: "translate_phrase", Weight: 0.4, Gap: 6, AnyOrder: true,
		Slots: []string{"translate|translation|translating|say|mean|means|meaning|pronounce|spell|definition|synonym|synonyms|antonym", "to french|to spanish|to german|to italian|to portuguese|to russian|to chinese|to japanese|to arabic|into french|into spanish|into german|into italian|into english|in french|in spanish|in german|in italian|in english|in japanese|in chinese|in russian|in arabic|in portuguese|the word|the phrase|the expression|the idiom|the term"}},
}
