package catalogue

import "github.com/astrabastion/astra/domain/compliance"

// euAIAct is Regulation (EU) 2024/1689 (the AI Act), reduced to what applies
// to providers and deployers of AI systems and general-purpose AI models:
// AI literacy (Art. 4), prohibited practices (Art. 5, one requirement per point
// of Art. 5(1)), high-risk classification (Art. 6), the requirements for
// high-risk systems (Arts. 8–15), provider and deployer obligations (Arts.
// 16–22, 25–27), conformity assessment, declaration, marking and registration
// (Arts. 43, 47–49), transparency obligations (Art. 50, one requirement per
// paragraph 1–4), general-purpose AI models (Arts. 53, 55), post-market
// monitoring and serious incidents (Arts. 72, 73), the right to explanation
// (Art. 86), Annex III (high-risk areas, points 1–8) and Annex IV (technical
// documentation, points 1–9). Obligations of importers and distributors
// (Arts. 23, 24) and of authorities are left out. Scope, definitions, Annex III
// and penalties are context, not assessable. Tags say whom an article binds.
//
// Application dates (Art. 113): Chapters I and II from 2 February 2025; general-
// purpose AI models from 2 August 2025; most of the rest from 2 August 2026;
// Art. 6(1) from 2 August 2027.
func euAIAct() compliance.Framework {
	return compliance.Framework{ID: EUAIAct, Name: "EU Artificial Intelligence Act", Version: "Regulation (EU) 2024/1689", Publisher: "European Parliament and Council of the European Union",
		Source: "https://eur-lex.europa.eu/eli/reg/2024/1689/oj", Kind: compliance.KindBuiltin, Scale: compliance.Percent, Requirements: table(euAIActTable)}
}

const euAIActTable = `
chapter | Chapter I | - | General provisions | Scope, definitions and AI literacy.
article | Art. 2 | Chapter I | Scope | The Act applies to providers placing AI systems or general-purpose AI models on the Union market, to deployers in the Union, and to providers and deployers abroad whose output is used in the Union; military, research and personal use are excluded.
article | Art. 3 | Chapter I | Definitions | The meaning of AI system, provider, deployer, intended purpose, substantial modification, serious incident, general-purpose AI model and other terms.
article* | Art. 4 | Chapter I | AI literacy | Make sure, as far as possible, that staff and others operating or using AI on your behalf have enough AI literacy for their role and for the people affected. | provider,deployer
chapter | Chapter II | - | Prohibited AI practices | Practices that may not be placed on the market, put into service or used.
article | Art. 5 | Chapter II | Prohibited AI practices | Eight practices are banned outright; each point of Art. 5(1) is checked on its own.
point* | Art. 5(1)(a) | Art. 5 | Manipulative or deceptive techniques | No AI that uses subliminal, manipulative or deceptive techniques to distort behaviour materially in a way that causes or is likely to cause significant harm. | provider,deployer
point* | Art. 5(1)(b) | Art. 5 | Exploitation of vulnerabilities | No AI that exploits vulnerabilities due to age, disability or social or economic situation to distort behaviour harmfully. | provider,deployer
point* | Art. 5(1)(c) | Art. 5 | Social scoring | No evaluation or classification of people by social behaviour or personal traits that leads to unjustified or disproportionate detrimental treatment. | provider,deployer
point* | Art. 5(1)(d) | Art. 5 | Predictive policing by profiling | No assessment of the risk that a person will commit a crime based solely on profiling or personality traits. | provider,deployer
point* | Art. 5(1)(e) | Art. 5 | Untargeted facial image scraping | No building or expanding of facial recognition databases by untargeted scraping of images from the internet or CCTV. | provider,deployer
point* | Art. 5(1)(f) | Art. 5 | Emotion recognition at work and school | No inference of emotions in the workplace or in education, except for medical or safety reasons. | provider,deployer
point* | Art. 5(1)(g) | Art. 5 | Biometric categorisation by sensitive traits | No biometric categorisation that infers race, political opinions, union membership, religious or philosophical beliefs, sex life or sexual orientation. | provider,deployer
point* | Art. 5(1)(h) | Art. 5 | Real-time remote biometric identification for law enforcement | No real-time remote biometric identification in publicly accessible spaces for law enforcement, outside the narrow authorised exceptions. | provider,deployer
chapter | Chapter III | - | High-risk AI systems | Classification, requirements and obligations for high-risk AI systems.
article* | Art. 6 | Chapter III | Classification rules for high-risk AI systems | Classify each AI system: safety components of regulated products and Annex III uses are high-risk; a provider who relies on the Art. 6(3) exception documents why before placing it on the market. | provider
article* | Art. 8 | Chapter III | Compliance with the requirements | A high-risk system meets the requirements of Arts. 9–15, given its intended purpose and the state of the art. | provider
article* | Art. 9 | Chapter III | Risk management system | Run a documented, iterative risk management process over the whole life cycle: identify, estimate and evaluate risks to health, safety and fundamental rights, adopt measures, test, and keep residual risk acceptable. | provider
article* | Art. 10 | Chapter III | Data and data governance | Training, validation and test data follow governance practices (origin, preparation, assumptions, bias examination and mitigation, gaps) and are relevant, representative and as complete and error-free as possible. | provider
article* | Art. 11 | Chapter III | Technical documentation | Draw up technical documentation covering at least Annex IV before placing the system on the market, and keep it current. | provider
article* | Art. 12 | Chapter III | Record-keeping | The system records events automatically over its lifetime, so that risks, substantial modifications and operation can be traced. | provider
article* | Art. 13 | Chapter III | Transparency and provision of information to deployers | Make operation transparent enough for deployers to interpret and use the output, and supply instructions for use with capabilities, limits, accuracy, oversight measures and maintenance. | provider
article* | Art. 14 | Chapter III | Human oversight | Design the system so people can oversee it: understand its limits, watch for automation bias, interpret, override or ignore its output, and stop it. | provider,deployer
article* | Art. 15 | Chapter III | Accuracy, robustness and cybersecurity | Reach and declare suitable accuracy, stay robust to errors and faults, and resist attacks such as data or model poisoning, adversarial examples and confidentiality attacks. | provider
article* | Art. 16 | Chapter III | Obligations of providers of high-risk AI systems | Providers meet Arts. 8–15, identify themselves on the system, keep a quality management system, documentation and logs, pass conformity assessment, declare, mark, register and correct. | provider
article* | Art. 17 | Chapter III | Quality management system | Keep a documented quality management system: compliance strategy, design and development control, testing, data management, risk management, post-market monitoring, incident reporting and accountability. | provider
article* | Art. 18 | Chapter III | Documentation keeping | Keep technical, quality-system and conformity documentation for ten years after placing the system on the market. | provider
article* | Art. 19 | Chapter III | Automatically generated logs | Keep the logs the system generates while under your control for a suitable period, at least six months. | provider
article* | Art. 20 | Chapter III | Corrective actions and duty of information | Immediately correct, withdraw, disable or recall a non-conforming system, tell the value chain, and inform authorities of any risk it presents. | provider
article* | Art. 21 | Chapter III | Cooperation with competent authorities | On reasoned request, give authorities the information, documentation and logs that show conformity. | provider
article* | Art. 22 | Chapter III | Authorised representatives of providers of high-risk AI systems | A provider outside the Union appoints an authorised representative in the Union by written mandate first. | provider
article* | Art. 25 | Chapter III | Responsibilities along the AI value chain | Whoever rebrands, substantially modifies or repurposes a system into a high-risk one becomes its provider; the original provider cooperates. | provider,deployer
article* | Art. 26 | Chapter III | Obligations of deployers of high-risk AI systems | Use the system as instructed, assign competent human oversight, keep input data relevant, monitor and report risks and incidents, keep logs at least six months, inform workers and affected people. | deployer
article* | Art. 27 | Chapter III | Fundamental rights impact assessment for high-risk AI systems | Public bodies, providers of public services and deployers of credit-scoring or life and health insurance systems assess the impact on fundamental rights before first use and notify the authority. | deployer
article* | Art. 43 | Chapter III | Conformity assessment | Pass the applicable conformity assessment (internal control, or a notified body for some biometric systems) before placing on the market, and again after a substantial modification. | provider
article* | Art. 47 | Chapter III | EU declaration of conformity | Draw up, sign and keep for ten years an EU declaration of conformity for each high-risk system. | provider
article* | Art. 48 | Chapter III | CE marking | Affix the CE marking visibly, legibly and indelibly, digitally for digital systems. | provider
article* | Art. 49 | Chapter III | Registration | Register the provider and each Annex III system in the EU database before placing it on the market; public deployers register their use. | provider,deployer
chapter | Chapter IV | - | Transparency obligations for providers and deployers of certain AI systems | Disclosure duties that apply whether or not a system is high-risk.
article | Art. 50 | Chapter IV | Transparency obligations for providers and deployers of certain AI systems | Four disclosure duties, each checked on its own.
point* | Art. 50(1) | Art. 50 | Interaction with AI disclosed | People are told they are interacting with an AI system unless it is obvious. | provider
point* | Art. 50(2) | Art. 50 | Synthetic content marked | Generated audio, image, video and text are marked in a machine-readable way and detectable as artificially generated. | provider
point* | Art. 50(3) | Art. 50 | Emotion recognition and biometric categorisation disclosed | People exposed to emotion recognition or biometric categorisation are informed, and their data handled under data protection law. | deployer
point* | Art. 50(4) | Art. 50 | Deep fakes and generated public-interest text disclosed | Deep fakes are disclosed as generated or manipulated, and so is generated text published to inform the public, unless a person reviewed it and holds editorial responsibility. | deployer
chapter | Chapter V | - | General-purpose AI models | Obligations of providers of general-purpose AI models.
article* | Art. 53 | Chapter V | Obligations for providers of general-purpose AI models | Keep technical documentation for the AI Office and information for downstream providers, have a copyright policy honouring opt-outs, and publish a summary of the training content. | gpai-provider
article* | Art. 55 | Chapter V | Obligations of providers of general-purpose AI models with systemic risk | Also evaluate the model with adversarial testing, assess and mitigate systemic risks, report serious incidents, and protect the model and its infrastructure. | gpai-provider
chapter | Chapter IX | - | Post-market monitoring, information sharing and market surveillance | Watching systems once in use, and what people may ask.
article* | Art. 72 | Chapter IX | Post-market monitoring by providers and post-market monitoring plan for high-risk AI systems | Run a documented post-market monitoring system that collects and analyses performance data over the system's lifetime, following a monitoring plan that is part of the technical documentation. | provider
article* | Art. 73 | Chapter IX | Reporting of serious incidents | Report serious incidents to the market surveillance authority as soon as a causal link is established, within 15 days at the latest (2 days for widespread infringements or critical infrastructure, 10 days for a death). | provider
article* | Art. 86 | Chapter IX | Right to explanation of individual decision-making | A person significantly affected by a decision based on an Annex III system's output can obtain from the deployer a clear explanation of the system's role and the main elements of the decision. | deployer
chapter | Chapter XII | - | Penalties | What breaches cost.
article | Art. 99 | Chapter XII | Penalties | Fines reach 35 million euros or 7% of worldwide turnover for prohibited practices, and 15 million or 3% for most other obligations.
annex | Annex III | - | High-risk AI systems referred to in Article 6(2) | The areas in which AI uses are high-risk; Art. 6 applies them.
annex-point | Annex III.1 | Annex III | Biometrics | Remote biometric identification, biometric categorisation by sensitive traits, and emotion recognition, where permitted.
annex-point | Annex III.2 | Annex III | Critical infrastructure | Safety components in critical digital infrastructure, road traffic and the supply of water, gas, heating and electricity.
annex-point | Annex III.3 | Annex III | Education and vocational training | Admission, assessment of learning outcomes, choice of education level, and monitoring of tests.
annex-point | Annex III.4 | Annex III | Employment, workers' management and access to self-employment | Recruitment and selection, decisions on work terms, promotion and termination, task allocation, and performance monitoring.
annex-point | Annex III.5 | Annex III | Access to and enjoyment of essential private services and essential public services and benefits | Eligibility for public benefits, creditworthiness, life and health insurance pricing, and emergency call triage.
annex-point | Annex III.6 | Annex III | Law enforcement | Uses by or for law enforcement, such as evidence reliability, risk of victimisation and profiling in investigations.
annex-point | Annex III.7 | Annex III | Migration, asylum and border control management | Uses by or for migration, asylum and border authorities, such as risk assessment and examination of applications.
annex-point | Annex III.8 | Annex III | Administration of justice and democratic processes | Assisting judicial authorities, and influencing the outcome of elections or referendums.
annex | Annex IV | - | Technical documentation referred to in Article 11(1) | What the technical documentation of a high-risk system contains, at least.
annex-point* | Annex IV.1 | Annex IV | General description | Intended purpose, provider, version, interactions with other hardware and software, forms placed on the market, and instructions for use. | provider
annex-point* | Annex IV.2 | Annex IV | Elements and development process | Development methods, design choices, architecture, data and datasheets, oversight measures, pre-determined changes, validation and testing, and cybersecurity measures. | provider
annex-point* | Annex IV.3 | Annex IV | Monitoring, functioning and control | Capabilities and limits of performance, expected accuracy for the groups it is used on, foreseeable unintended outcomes, oversight measures and input data specifications. | provider
annex-point* | Annex IV.4 | Annex IV | Appropriateness of performance metrics | Why the chosen performance metrics suit this system. | provider
annex-point* | Annex IV.5 | Annex IV | Risk management system | A detailed description of the risk management system under Art. 9. | provider
annex-point* | Annex IV.6 | Annex IV | Life-cycle changes | Relevant changes the provider makes to the system over its life cycle. | provider
annex-point* | Annex IV.7 | Annex IV | Standards applied | The harmonised standards applied, or else the other solutions used to meet the requirements. | provider
annex-point* | Annex IV.8 | Annex IV | Declaration of conformity | A copy of the EU declaration of conformity. | provider
annex-point* | Annex IV.9 | Annex IV | Post-market evaluation | How performance is evaluated once on the market, the post-market monitoring plan included. | provider
`
