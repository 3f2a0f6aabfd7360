package engine

// Multilingual variants of the main families. Accents are folded by the
// normaliser, so phrases may be written with or without them. Chinese and
// Japanese phrases are matched character by character (gaps count
// characters).

type langRules struct {
	lang string
	// ignore/forget verbs, the objects they apply to, and an optional
	// "previous" qualifier used for object-first word order.
	ignore, instr string
	everything    string // "everything (said before)", for "forget everything"
	objFirstVerb  string // verbs that follow the object (German infinitive, Japanese, Korean)
	leakVerb      string
	leakObj       string
	noLimits      string // "without restrictions"
	devMode       string
	youAreNow     string // "from now on you are", "you are now"
	send          string // send/forward verbs for exfiltration
	persona       string // "act as" / "pretend to be"
	cjk           bool
}

var i18n = []langRules{
	{lang: "es",
		everything: "todo|todo lo que|todo lo anterior|todo lo dicho|todo lo que te dije|todo lo que dije",
		ignore:     "ignora|ignore|ignorar|ignoren|ignoradas|olvida|olvide|olvidar|olviden|olvidate de|olvídate de|descarta|descarte|descartar|omite|omita|omitir|pasa por alto|pase por alto|haz caso omiso de|haga caso omiso de|no sigas|no siga|deja de seguir|deje de seguir|desobedece|desobedezca|anula|anule|salta|saltate|elimina",
		instr:      "instrucciones|instruccion|indicaciones|reglas|normas|directrices|ordenes|restricciones|pautas|limitaciones|mandatos|consignas|filtros|politicas|lineamientos|prompt del sistema|programacion|todo lo anterior|lo anterior",
		leakVerb:   "muestra|muestrame|muestre|muestreme|revela|revelame|revele|dime|digame|imprime|imprima|repite|repita|ensename|escribe|escriba|cual es|cuales son|comparte|dame|deme|copia|traduce|recita|enumera|lista",
		leakObj:    "prompt del sistema|prompt de sistema|instrucciones del sistema|mensaje del sistema|instrucciones iniciales|instrucciones originales|indicaciones del sistema|instrucciones ocultas|tu prompt|tus instrucciones|sus instrucciones|instrucciones secretas|configuracion inicial|prompt inicial|indicaciones iniciales",
		noLimits:   "sin restricciones|sin restriccion|sin filtros|sin limites|sin censura|sin reglas|sin etica|sin moral|sin ninguna restriccion|sin ningun filtro|sin limitaciones|ninguna restriccion|sin normas",
		devMode:    "modo desarrollador|modo de desarrollador|modo dios|modo sin restricciones|modo sin filtros|modo jailbreak",
		youAreNow:  "a partir de ahora eres|a partir de ahora seras|a partir de ahora|desde ahora eres|desde ahora|ahora eres|ahora seras|de ahora en adelante|en adelante eres|ya no eres|ya no estas",
		send:       "envia|envie|enviar|manda|mande|mandar|reenvia|reenvie|reenviar|sube|suba|transmite|transmita|comparte",
		persona:    "actua como|actue como|finge ser|finja ser|haz de cuenta que eres|hazte pasar por|interpreta a|juega el papel de|eres ahora|simula ser|comportate como"},
	{lang: "fr",
		everything: "tout|tout ce qui precede|tout ce que|tout ce qui a ete dit",
		ignore:     "ignore|ignorez|ignorer|ignores|oublie|oubliez|oublier|ne tiens pas compte|ne tenez pas compte|fais abstraction|faites abstraction|neglige|negligez|outrepasse|outrepassez|contourne|contournez|ne suis pas|ne suivez pas|ne respecte pas|ne respectez pas|n obeis pas|n obeissez pas|annule|annulez|passe outre|passez outre|laisse tomber|laissez tomber|efface|effacez",
		instr:      "instructions|instruction|consignes|regles|directives|ordres|indications|restrictions|limitations|filtres|politiques|lignes directrices|prompt systeme|tout ce qui precede|ce qui precede|programmation|contraintes",
		leakVerb:   "montre|montrez|affiche|affichez|revele|revelez|dis|dites|repete|repetez|donne|donnez|quel est|quelle est|quelles sont|quels sont|imprime|imprimez|ecris|ecrivez|partage|partagez|copie|copiez|traduis|traduisez|recite|recitez|liste|listez|divulgue|divulguez",
		leakObj:    "prompt systeme|invite systeme|message systeme|instructions systeme|instructions initiales|consignes initiales|instructions cachees|instructions d origine|instructions originales|ton prompt|votre prompt|tes instructions|vos instructions|tes consignes|vos consignes|instructions secretes|prompt initial|configuration initiale",
		noLimits:   "sans restrictions|sans restriction|sans filtre|sans filtres|sans limites|sans limite|sans censure|sans regles|sans ethique|sans morale|aucune restriction|aucun filtre|aucune limite|sans aucune restriction|sans aucun filtre|sans contraintes",
		devMode:    "mode developpeur|mode dieu|mode sans restriction|mode sans filtre|mode jailbreak|mode debride",
		youAreNow:  "tu es maintenant|vous etes maintenant|a partir de maintenant|desormais|dorenavant|a partir d aujourd hui tu|tu n es plus|vous n etes plus|tu seras desormais|tu deviens",
		send:       "envoie|envoyez|envoyer|transfere|transferez|transferer|transmets|transmettez|transmettre|partage|partagez|televerse|televersez",
		persona:    "agis comme|agissez comme|fais comme si tu etais|faites comme si vous etiez|fais semblant d etre|faites semblant d etre|joue le role de|jouez le role de|incarne|incarnez|comporte toi comme|fais semblant"},
	{lang: "de",
		everything:   "alles|alles davor|alles bisherige|alles was",
		ignore:       "ignoriere|ignorier|ignorieren|ignoriert|ignoriere bitte|vergiss|vergessen|vergesst|vergessen sie|missachte|missachten|missachtet|uberspringe|umgehe|umgehen|setze ausser kraft|setze auser kraft|beachte nicht|befolge nicht|folge nicht|hor auf|verwirf|verwerfe|losche|ubergehe|ubergeh",
		instr:        "anweisungen|anweisung|regeln|richtlinien|befehle|instruktionen|vorgaben|einschrankungen|beschrankungen|systemanweisungen|systemprompt|system prompt|anordnungen|vorschriften|filter|programmierung|alles bisherige|alles vorherige|alles obige|alles davor|sicherheitsrichtlinien|vorherigen anweisungen|bisherigen anweisungen",
		objFirstVerb: "ignorieren|vergessen|missachten|ignoriert|vergesst|ignorierst|vergisst|ausser acht lassen|auser acht lassen|nicht befolgen|nicht beachten|umgehen|verwerfen|loschen",
		leakVerb:     "zeige|zeig|zeigen|gib|gebe|geben|nenne|nennen|verrate|verraten|wiederhole|wiederholen|drucke|gib aus|ausgeben|offenlege|offenbare|was ist|was sind|wie lautet|wie lauten|schreibe|schreib|teile|ubersetze|liste|kopiere",
		leakObj:      "systemprompt|system prompt|systemanweisungen|systemanweisung|systemnachricht|anfangsanweisungen|ursprunglichen anweisungen|ursprungliche anweisungen|versteckten anweisungen|versteckte anweisungen|geheimen anweisungen|deinen prompt|ihren prompt|deine anweisungen|ihre anweisungen|initialen anweisungen|ersten anweisungen|interne anweisungen|internen anweisungen",
		noLimits:     "ohne einschrankungen|ohne beschrankungen|ohne filter|ohne zensur|ohne regeln|ohne grenzen|ohne ethik|ohne moral|keine einschrankungen|keine regeln|keine filter|keinerlei einschrankungen|ohne jegliche einschrankungen|uneingeschrankt|ungefiltert|unzensiert",
		devMode:      "entwicklermodus|entwickler modus|gott modus|gottmodus|jailbreak modus|uneingeschrankter modus",
		youAreNow:    "jetzt bist du|nun bist du|du bist jetzt|du bist nun|sie sind jetzt|ab jetzt bist du|ab jetzt|von nun an|ab sofort|du bist nicht mehr|sie sind nicht mehr|ab heute bist du",
		send:         "sende|senden|schicke|schick|schicken|leite weiter|weiterleiten|ubermittle|ubermitteln|lade hoch|hochladen|teile",
		persona:      "tu so als|tu so als ob|verhalte dich wie|spiele die rolle|agiere als|handle als|gib dich aus als|du spielst|stell dir vor du bist"},
	{lang: "it",
		everything: "tutto|tutto quanto|tutto cio che",
		ignore:     "ignora|ignori|ignorare|ignorate|dimentica|dimentichi|dimenticare|dimenticate|trascura|trascurare|tralascia|tralasciare|non seguire|non tenere conto|salta|scavalca|aggira|aggirare|non rispettare|non obbedire|annulla|cancella|metti da parte|lascia perdere",
		instr:      "istruzioni|istruzione|regole|direttive|indicazioni|ordini|restrizioni|linee guida|limitazioni|filtri|politiche|prompt di sistema|tutto cio che precede|quanto sopra|programmazione|vincoli",
		leakVerb:   "mostra|mostrami|mostrare|rivela|rivelami|rivelare|dimmi|dica|stampa|ripeti|ripetere|scrivi|qual e|quali sono|dammi|mi dia|condividi|copia|traduci|elenca|recita|svela",
		leakObj:    "prompt di sistema|istruzioni di sistema|messaggio di sistema|istruzioni iniziali|istruzioni originali|istruzioni nascoste|il tuo prompt|le tue istruzioni|istruzioni segrete|prompt iniziale|configurazione iniziale",
		noLimits:   "senza restrizioni|senza restrizione|senza filtri|senza limiti|senza censura|senza regole|senza etica|senza morale|nessuna restrizione|nessun filtro|nessun limite|senza alcuna restrizione|senza vincoli",
		devMode:    "modalita sviluppatore|modalita dio|modalita senza restrizioni|modalita senza filtri|modalita jailbreak",
		youAreNow:  "ora sei|adesso sei|da ora in poi|d ora in poi|da adesso in poi|a partire da ora|d ora in avanti|non sei piu|da questo momento",
		send:       "invia|inviare|manda|mandare|inoltra|inoltrare|trasmetti|trasmettere|carica|caricare|condividi",
		persona:    "comportati come|agisci come|fingi di essere|fai finta di essere|interpreta il ruolo|recita la parte|impersona|simula di essere"},
	{lang: "pt",
		everything: "tudo|tudo o que|tudo acima",
		ignore:     "ignore|ignora|ignorar|ignorem|esqueca|esquece|esquecer|esquecam|desconsidere|desconsidera|desconsiderar|despreze|despreza|nao siga|nao sigas|deixe de seguir|pare de seguir|pule|contorne|contornar|burle|burlar|descarte|descarta|anule|anula|nao obedeca|nao respeite",
		instr:      "instrucoes|instrucao|regras|diretrizes|ordens|orientacoes|restricoes|limitacoes|filtros|politicas|prompt do sistema|tudo acima|tudo o que foi dito|programacao|normas",
		leakVerb:   "mostre|mostra|mostrar|revele|revela|revelar|diga|diz|me diga|imprima|imprime|repita|repete|qual e|quais sao|escreva|escreve|exiba|exibe|compartilhe|copie|traduza|liste|divulgue",
		leakObj:    "prompt do sistema|prompt de sistema|instrucoes do sistema|mensagem do sistema|instrucoes iniciais|instrucoes originais|instrucoes ocultas|seu prompt|suas instrucoes|tuas instrucoes|instrucoes secretas|prompt inicial|configuracao inicial",
		noLimits:   "sem restricoes|sem restricao|sem filtros|sem limites|sem censura|sem regras|sem etica|sem moral|nenhuma restricao|nenhum filtro|sem nenhuma restricao|sem qualquer restricao",
		devMode:    "modo desenvolvedor|modo de desenvolvedor|modo deus|modo sem restricoes|modo sem filtros|modo jailbreak",
		youAreNow:  "agora voce e|agora tu es|a partir de agora|de agora em diante|daqui em diante|voce nao e mais|tu ja nao es|a partir deste momento",
		send:       "envie|envia|enviar|encaminhe|encaminha|encaminhar|mande|manda|mandar|transmita|carregue|compartilhe",
		persona:    "aja como|atue como|finja ser|finge ser|faca de conta que|interprete o papel|comporte se como|simule ser|voce agora e"},
	{lang: "ru",
		everything:   "всё|все что|всё что",
		ignore:       "игнорируй|игнорируйте|игнорировать|проигнорируй|проигнорируйте|забудь|забудьте|забыть|не обращай внимания на|не обращайте внимания на|пренебреги|пренебрегите|отбрось|отбросьте|отмени|отмените|обойди|обойдите|не следуй|не следуйте|не выполняй|не соблюдай|не слушай|перестань следовать|нарушь|отключи|отключите|сбрось",
		instr:        "инструкции|инструкций|инструкциям|инструкцию|указания|указаний|правила|правил|команды|команд|ограничения|ограничений|директивы|директив|установки|запреты|предписания|системный промпт|всё выше|все выше|всё вышесказанное|все вышесказанное|всё предыдущее|все предыдущее|фильтры|программирование|требования",
		objFirstVerb: "игнорируй|игнорируйте|забудь|забудьте|проигнорируй|отбрось|отмени|игнорировать|забыть",
		leakVerb:     "покажи|покажите|раскрой|раскройте|выведи|выведите|напечатай|напечатайте|повтори|повторите|скажи|скажите|какой|какие|каков|расскажи|сообщи|дай|процитируй|перечисли|переведи|напиши|выдай",
		leakObj:      "системный промпт|системный запрос|системное сообщение|системные инструкции|промпт|свой промпт|твой промпт|исходные инструкции|изначальные инструкции|скрытые инструкции|свои инструкции|твои инструкции|ваши инструкции|начальные инструкции|секретные инструкции|системную инструкцию|системный prompt",
		noLimits:     "без ограничений|без фильтров|без цензуры|без правил|без морали|без этики|никаких ограничений|никаких правил|никаких фильтров|без каких либо ограничений|не ограничен|неограниченный|нецензурированный",
		devMode:      "режим разработчика|режим бога|режим без ограничений|режим джейлбрейка|джейлбрейк",
		youAreNow:    "теперь ты|отныне ты|с этого момента ты|с этого момента|отныне|ты больше не|с сегодняшнего дня ты|ты теперь",
		send:         "отправь|отправьте|перешли|перешлите|пришли|пришлите|отошли|передай|передайте|загрузи|выгрузи|отправить|переслать",
		persona:      "притворись|притворитесь|представь что ты|представь себе что ты|веди себя как|играй роль|сыграй роль|действуй как|изобрази"},
	{lang: "ar",
		everything: "كل شيء|كل ما",
		ignore:     "تجاهل|تجاهلي|تجاهلوا|وتجاهل|انس|انسى|انسي|اهمل|اهملي|تخط|تخطى|لا تتبع|لا تلتزم ب|تجاوز|تجاوزي|الغ|الغي|لا تطع|تغاضى عن|اترك|اطرح جانبا",
		instr:      "التعليمات|تعليمات|تعليماتك|الاوامر|اوامر|القواعد|قواعد|قواعدك|الارشادات|ارشادات|التوجيهات|توجيهات|القيود|قيود|الضوابط|السياسات|موجه النظام|كل ما سبق|ما سبق|البرمجه",
		leakVerb:   "اكشف|اكشفي|اظهر|اظهري|اعرض|اعرضي|اطبع|كرر|كرري|اخبرني|ما هي|ما هو|ارني|اعطني|اذكر|انسخ|ترجم|شارك|افصح عن",
		leakObj:    "موجه النظام|تعليمات النظام|رساله النظام|التعليمات الاصليه|التعليمات الاوليه|التعليمات المخفيه|الموجه|تعليماتك|موجهك|التعليمات السريه|البرومبت|برومبت النظام|الموجه الاولي",
		noLimits:   "بدون قيود|دون قيود|بلا قيود|بدون رقابه|بدون فلاتر|بدون حدود|بلا حدود|دون اي قيود|بدون اي قيود|بلا رقابه|بدون اخلاق|بدون قواعد|بلا قواعد",
		devMode:    "وضع المطور|وضع المطورين|وضع الاله|وضع بدون قيود|وضع كسر الحمايه",
		youAreNow:  "انت الان|من الان فصاعدا|من الان|اعتبارا من الان|لم تعد|انت لست",
		send:       "ارسل|ارسلي|ارسال|حول|اعد توجيه|انقل|ارفع|شارك",
		persona:    "تظاهر بانك|تظاهري بانك|تصرف ك|تصرف مثل|تقمص دور|العب دور|مثل دور|تخيل انك"},
	{lang: "zh",
		everything: "一切|所有内容|全部内容|所有的内容", cjk: true,
		ignore:    "忽略|忽视|無視|无视|忽略掉|不要理会|不要理會|不要遵守|不要遵循|别管|別管|忘记|忘掉|忘記|抛弃|拋棄|跳过|跳過|绕过|繞過|不理会|不再遵守|放弃|放棄|丢弃|丟棄|撇开|撇開|取消",
		instr:     "指令|指示|说明|說明|规则|規則|提示|命令|约束|約束|限制|要求|设定|設定|提示词|提示詞|准则|準則|政策|过滤|過濾|规定|規定",
		leakVerb:  "显示|顯示|展示|输出|輸出|打印|告诉我|告訴我|透露|泄露|洩露|重复|重複|给我看|給我看|列出|说出|說出|复述|複述|公开|公開|翻译|翻譯|写出|寫出|发给我|发出|是什么|是什麼",
		leakObj:   "系统提示|系統提示|系统提示词|系統提示詞|系统指令|系統指令|初始指令|原始指令|隐藏指令|隱藏指令|提示词|提示詞|系统消息|系統訊息|系统信息|系統信息|你的指令|你的提示|初始提示|原始提示|系统设定|系統設定",
		noLimits:  "没有任何限制|沒有任何限制|不受限制|没有限制|沒有限制|无限制|無限制|不受任何约束|不受任何約束|没有道德|沒有道德|不受道德|没有审查|沒有審查|无审查|無審查|不受约束|不受約束|没有规则|沒有規則|无视道德|無視道德",
		devMode:   "开发者模式|開發者模式|开发人员模式|開發人員模式|越狱模式|越獄模式|上帝模式|无限制模式|無限制模式|越狱|越獄",
		youAreNow: "你现在是|你現在是|从现在开始|從現在開始|从现在起|從現在起|你不再是|今后你|今後你|此后你|此後你",
		send:      "发送到|發送到|发送给|發送給|转发到|轉發到|转发给|轉發給|上传到|上傳到|发到|發到|寄给|寄給|传到|傳到",
		persona:   "扮演|假装你是|假裝你是|假设你是|假設你是|充当|充當|模拟|模擬|你将扮演|你將扮演"},
	{lang: "ja",
		everything: "すべて|全部", cjk: true,
		ignore:       "無視|忘れ|破棄|無効に|従わな|従うな|取り消|無視し|放棄|スキップ|回避",
		instr:        "指示|命令|ルール|規則|指令|設定|制約|制限|プロンプト|ガイドライン|ポリシー|フィルター|規定|すべて|全て",
		objFirstVerb: "無視|忘れ|破棄|無効|従わな|従うな|取り消|放棄|スキップ|回避",
		leakVerb:     "表示|見せ|教え|出力|開示|繰り返|印刷|書き出|公開|翻訳|列挙|述べ",
		leakObj:      "システムプロンプト|システム プロンプト|システムの指示|初期指示|元の指示|隠された指示|最初の指示|プロンプト|設定された指示|システムメッセージ|内部指示|秘密の指示|初期プロンプト",
		noLimits:     "制限なし|制限のない|制限なく|無制限|フィルターなし|検閲なし|検閲のない|倫理的な制約なし|制約なし|制約のない|ルールなし|ルールのない|倫理観のない|道徳のない",
		devMode:      "開発者モード|デベロッパーモード|脱獄モード|ジェイルブレイク|神モード|無制限モード",
		youAreNow:    "今からあなたは|これからあなたは|あなたは今|今後あなたは|あなたはもう|これ以降あなたは",
		send:         "送信|送って|転送|送る|アップロード|送付",
		persona:      "になりきって|のふりをして|として振る舞|を演じ|ロールプレイ"},
	{lang: "ko",
		everything:   "모든 것을|전부",
		ignore:       "무시하고|무시해|무시하세요|무시하십시오|무시해라|무시|잊어|잊어버려|잊어버리고|잊으세요|따르지 마|따르지 말고|우회해|우회하고",
		instr:        "지시|지시를|지시사항|지시사항을|명령|명령을|규칙|규칙을|지침|지침을|지시문|지시문을|제한|제한을|프롬프트|프롬프트를|설정|설정을|모든 것을",
		objFirstVerb: "무시하고|무시해|무시하세요|무시하십시오|무시해라|무시|잊어|잊어버려|잊어버리고|잊으세요|따르지 마|따르지 말고|우회해|우회하고",
		leakVerb:     "보여줘|보여주세요|보여|알려줘|알려주세요|출력해|출력하세요|출력|공개해|공개|말해줘|말해|반복해|인쇄해",
		leakObj:      "시스템 프롬프트|시스템 프롬프트를|시스템 메시지|시스템 지시|초기 지시|원래 지시|숨겨진 지시|프롬프트를|당신의 지시|너의 지시",
		noLimits:     "제한 없이|제한이 없는|제한없이|필터 없이|검열 없이|규칙 없이|윤리 없이|아무 제한 없이",
		devMode:      "개발자 모드|탈옥 모드|탈옥|갓 모드",
		youAreNow:    "지금부터 너는|이제 너는|지금부터 당신은|이제부터 당신은|이제부터 너는|너는 이제",
		send:         "보내|보내줘|보내세요|전송해|전송|전달해|업로드해",
		persona:      "인 척해|인 척 해|처럼 행동해|역할을 해|연기해"},
	{lang: "nl",
		everything: "alles",
		ignore:     "negeer|negeren|vergeet|vergeten|omzeil|omzeilen|volg niet|niet volgen|sla over|overschrijf",
		instr:      "instructies|instructie|regels|richtlijnen|opdrachten|beperkingen|systeemprompt|bevelen|alles hierboven|filters",
		leakVerb:   "toon|laat zien|laat me zien|geef|herhaal|print|vertel|wat is|wat zijn|onthul|deel",
		leakObj:    "systeemprompt|systeem prompt|systeeminstructies|oorspronkelijke instructies|verborgen instructies|je instructies|jouw instructies|je prompt|jouw prompt|initiele instructies",
		noLimits:   "zonder beperkingen|zonder filters|zonder censuur|zonder regels|geen beperkingen|geen regels|geen filters",
		devMode:    "ontwikkelaarsmodus|ontwikkelaars modus|god modus",
		youAreNow:  "je bent nu|jij bent nu|vanaf nu|vanaf nu ben je|je bent niet langer",
		send:       "stuur|verstuur|stuur door|doorsturen|upload|verzend",
		persona:    "doe alsof|gedraag je als|speel de rol van|doe je voor als"},
	{lang: "tr",
		everything:   "her seyi|her şeyi",
		ignore:       "yok say|yoksay|gormezden gel|görmezden gel|unut|dikkate alma|uyma|atla|boşver|bosver",
		instr:        "talimatlari|talimatları|talimatlar|kurallari|kuralları|kurallar|yonergeleri|yönergeleri|komutlari|komutları|kisitlamalari|kısıtlamaları|sistem istemini|sistem istemi",
		objFirstVerb: "yok say|yoksay|gormezden gel|görmezden gel|unut|dikkate alma|uyma|atla",
		leakVerb:     "goster|göster|yaz|tekrarla|soyle|söyle|ver|açıkla|acikla|paylas|paylaş",
		leakObj:      "sistem istemini|sistem istemi|sistem mesajini|sistem mesajını|gizli talimatlari|gizli talimatları|orijinal talimatlari|ilk talimatlari|talimatlarini|talimatlarını",
		noLimits:     "kisitlama olmadan|kısıtlama olmadan|filtresiz|sansursuz|sansürsüz|kuralsiz|kuralsız|sinirsiz|sınırsız",
		devMode:      "gelistirici modu|geliştirici modu|tanri modu|tanrı modu",
		youAreNow:    "artik sen|artık sen|bundan sonra sen|simdi sen|şimdi sen",
		send:         "gonder|gönder|ilet|yukle|yükle",
		persona:      "gibi davran|rolunu oyna|rolünü oyna|taklit et"},
	{lang: "pl",
		everything: "wszystko",
		ignore:     "zignoruj|ignoruj|zapomnij|pomin|pomiń|nie stosuj sie do|nie przestrzegaj|obejdz|obejdź|lekcewaz",
		instr:      "instrukcje|instrukcji|polecenia|polecen|poleceń|zasady|zasad|reguly|reguł|wytyczne|wytycznych|ograniczenia|ograniczen|ograniczeń|prompt systemowy|wszystko powyzej|wszystko powyżej",
		leakVerb:   "pokaz|pokaż|wyswietl|wyświetl|powtorz|powtórz|podaj|ujawnij|napisz|jaki jest|jakie sa|jakie są|wypisz",
		leakObj:    "prompt systemowy|instrukcje systemowe|wiadomosc systemowa|wiadomość systemową|oryginalne instrukcje|ukryte instrukcje|swoje instrukcje|twoje instrukcje|swoj prompt|twój prompt",
		noLimits:   "bez ograniczen|bez ograniczeń|bez filtrow|bez filtrów|bez cenzury|bez zasad|zadnych ograniczen|żadnych ograniczeń",
		devMode:    "tryb dewelopera|tryb programisty|tryb boga",
		youAreNow:  "teraz jestes|teraz jesteś|od teraz|od tej chwili|nie jestes juz|nie jesteś już",
		send:       "wyslij|wyślij|przeslij|prześlij|przekaz|przekaż",
		persona:    "udawaj|zachowuj sie jak|wciel sie w|odgrywaj role"},
	{lang: "hi",
		everything:   "सब कुछ",
		ignore:       "अनदेखा करो|अनदेखा करें|नजरअंदाज करो|नज़रअंदाज़ करो|नजरअंदाज करें|भूल जाओ|भूल जाएं|मत मानो|पालन मत करो",
		instr:        "निर्देशों|निर्देश|नियमों|नियम|आदेशों|आदेश|सिस्टम प्रॉम्प्ट|प्रतिबंधों",
		objFirstVerb: "अनदेखा करो|अनदेखा करें|नजरअंदाज करो|नज़रअंदाज़ करो|नजरअंदाज करें|भूल जाओ|भूल जाएं|मत मानो|पालन मत करो",
		leakVerb:     "दिखाओ|दिखाएं|बताओ|बताएं|प्रकट करो|दोहराओ|लिखो",
		leakObj:      "सिस्टम प्रॉम्प्ट|सिस्टम निर्देश|मूल निर्देश|छिपे निर्देश|अपने निर्देश|प्रारंभिक निर्देश",
		noLimits:     "बिना किसी प्रतिबंध|बिना प्रतिबंध|बिना सेंसर|बिना नियम|कोई प्रतिबंध नहीं",
		devMode:      "डेवलपर मोड",
		youAreNow:    "अब तुम|अब से तुम|अब आप|अब से आप",
		send:         "भेजो|भेजें|फॉरवर्ड करो",
		persona:      "होने का नाटक करो|की तरह व्यवहार करो|की भूमिका निभाओ"},
}

// scopeWords after "without restrictions" scope it to something harmless
// ("no limit on length", "sans restriction de longueur").
const scopeWords = "on|for|of|de|du|des|sur|en|di|su|per|fur|bei|bezuglich|em|sobre|para|на|по|для|в|على|في|للـ"

// i18nRules expands the language tables into rules.
func i18nRules() []Rule {
	var out []Rule
	for _, l := range append(i18n[:len(i18n):len(i18n)], moreLangs...) {
		gap := 3
		if l.cjk {
			gap = 10
		}
		add := func(fam int, name string, w float64, g int, slots ...string) {
			for _, s := range slots {
				if s == "" {
					return
				}
			}
			r := Rule{Family: fam, Name: name, Lang: l.lang, Weight: w, Gap: g, Slots: slots}
			if name == "no_restrictions" || name == "act_as_unrestricted" {
				r.NotBefore = scopeWords
			}
			if name == "ignore_previous_instructions" || name == "reveal_system_prompt" {
				r.Deny, r.NotAfter = "my|our|his|her|their", "t|cannot|not|never|won"
			}
			out = append(out, r)
		}
		add(FamRoleOverride, "ignore_previous_instructions", 0.85, gap, l.ignore, l.instr)
		if l.objFirstVerb == "" && l.cjk {
			l.objFirstVerb = l.ignore
		}
		if l.objFirstVerb != "" {
			add(FamRoleOverride, "ignore_previous_instructions", 0.8, gap, l.instr, l.objFirstVerb)
		}
		add(FamRoleOverride, "forget_everything", 0.5, 2, l.ignore, l.everything)
		add(FamInstructionLeak, "reveal_system_prompt", 0.75, gap, l.leakVerb, l.leakObj)
		add(FamInstructionLeak, "reveal_system_prompt", 0.7, gap, l.leakObj, l.leakVerb)
		add(FamJailbreak, "no_restrictions", 0.45, 0, l.noLimits)
		add(FamJailbreak, "developer_mode", 0.6, 0, l.devMode)
		add(FamRoleOverride, "you_are_now", 0.35, 0, l.youAreNow)
		add(FamJailbreak, "act_as_unrestricted", 0.75, gap*3, l.persona+"|"+l.youAreNow, l.noLimits)
		add(FamJailbreak, "act_as_unrestricted", 0.75, gap*3, l.noLimits, l.persona+"|"+l.youAreNow)
		add(FamExfiltration, "send_to_destination", 0.45, gap*2, l.send, "<url>|<email>")
		add(FamExfiltration, "send_to_destination", 0.45, gap*2, "<url>|<email>", l.send)
	}
	return out
}
