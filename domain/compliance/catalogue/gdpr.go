package catalogue

import "github.com/astrabastion/astra/domain/compliance"

// gdpr is Regulation (EU) 2016/679 (General Data Protection Regulation):
// chapters I–V with every article (1–50), and chapter VIII's articles on
// remedies, liability and fines (77–84) as context. Articles that define scope
// or terms (1–4), that address legislators (23) or bind supervisory authorities or monitoring and
// certification bodies (41, 43), that describe voluntary instruments (40, 42),
// and chapter VIII are not assessable: an organisation cannot be compliant or
// not with them. Assessable articles are tagged with whom they bind
// (controller, processor).
func gdpr() compliance.Framework {
	return compliance.Framework{ID: GDPR, Name: "General Data Protection Regulation", Version: "Regulation (EU) 2016/679", Publisher: "European Parliament and Council of the European Union",
		Source: "https://eur-lex.europa.eu/eli/reg/2016/679/oj", Kind: compliance.KindBuiltin, Scale: compliance.Percent, Requirements: table(gdprTable)}
}

const gdprTable = `
chapter | Chapter I | - | General provisions | What the Regulation covers, where it applies and what its terms mean.
article | Art. 1 | Chapter I | Subject-matter and objectives | The Regulation protects people with regard to the processing of their personal data and the free movement of that data.
article | Art. 2 | Chapter I | Material scope | Which processing the Regulation covers and which it leaves out, such as purely personal or household activity.
article | Art. 3 | Chapter I | Territorial scope | It applies to establishments in the Union, and to others who offer goods or services to, or monitor, people in the Union.
article | Art. 4 | Chapter I | Definitions | The meaning of personal data, processing, controller, processor, consent, personal data breach and other terms.
chapter | Chapter II | - | Principles | The principles and legal bases every processing operation must respect.
article* | Art. 5 | Chapter II | Principles relating to processing of personal data | Process lawfully, fairly and transparently; for specified purposes; minimally; accurately; no longer than needed; securely; and be able to show it. | controller
article* | Art. 6 | Chapter II | Lawfulness of processing | Every processing operation needs one of the listed legal bases, such as consent, contract, legal obligation or legitimate interest. | controller
article* | Art. 7 | Chapter II | Conditions for consent | Where consent is the basis, be able to prove it, ask for it clearly and separately, and let it be withdrawn as easily as given. | controller
article* | Art. 8 | Chapter II | Conditions applicable to child's consent in relation to information society services | Online services offered directly to children need parental authorisation below the national age threshold, with reasonable checks. | controller
article* | Art. 9 | Chapter II | Processing of special categories of personal data | Data on health, biometrics, ethnicity, beliefs, sexual life and similar may be processed only under one of the listed exceptions. | controller
article* | Art. 10 | Chapter II | Processing of personal data relating to criminal convictions and offences | Data about criminal convictions and offences needs official authority or a legal basis with safeguards. | controller
article* | Art. 11 | Chapter II | Processing which does not require identification | A controller need not collect extra data only to identify people its purposes no longer require identifying. | controller
chapter | Chapter III | - | Rights of the data subject | The rights of the people whose data is processed, and how they are honoured.
article* | Art. 12 | Chapter III | Transparent information, communication and modalities for the exercise of the rights of the data subject | Give information clearly and simply, answer rights requests within a month (extendable), free of charge as a rule. | controller
article* | Art. 13 | Chapter III | Information to be provided where personal data are collected from the data subject | When collecting from the person, tell them who processes their data, why, on what basis, for how long, and their rights. | controller
article* | Art. 14 | Chapter III | Information to be provided where personal data have not been obtained from the data subject | When data comes from elsewhere, tell the person the same, plus the categories and source, within a reasonable time. | controller
article* | Art. 15 | Chapter III | Right of access by the data subject | People may confirm whether their data is processed and obtain a copy with information about the processing. | controller
article* | Art. 16 | Chapter III | Right to rectification | People may have inaccurate data corrected and incomplete data completed without undue delay. | controller
article* | Art. 17 | Chapter III | Right to erasure ('right to be forgotten') | People may have their data erased when one of the listed grounds applies, unless an exception holds. | controller
article* | Art. 18 | Chapter III | Right to restriction of processing | People may have processing restricted while accuracy or lawfulness is disputed, among other grounds. | controller
article* | Art. 19 | Chapter III | Notification obligation regarding rectification or erasure of personal data or restriction of processing | Tell each recipient about rectification, erasure or restriction, unless impossible or disproportionate. | controller
article* | Art. 20 | Chapter III | Right to data portability | People may receive data they provided in a structured, machine-readable format and have it sent to another controller. | controller
article* | Art. 21 | Chapter III | Right to object | People may object to processing based on public or legitimate interest, and always to direct marketing. | controller
article* | Art. 22 | Chapter III | Automated individual decision-making, including profiling | People may refuse to be subject to decisions based solely on automated processing with legal or similarly significant effect, with listed exceptions and safeguards. | controller
article | Art. 23 | Chapter III | Restrictions | Union or national law may restrict these rights where necessary and proportionate, within listed conditions.
chapter | Chapter IV | - | Controller and processor | The obligations of controllers and processors.
article* | Art. 24 | Chapter IV | Responsibility of the controller | Put appropriate technical and organisational measures in place, show that processing complies, and review them. | controller
article* | Art. 25 | Chapter IV | Data protection by design and by default | Build data protection into the design of processing, and by default process only what each purpose needs. | controller
article* | Art. 26 | Chapter IV | Joint controllers | Joint controllers set out their respective responsibilities in an arrangement whose essence is made available to people. | controller
article* | Art. 27 | Chapter IV | Representatives of controllers or processors not established in the Union | Controllers and processors outside the Union that fall under the Regulation designate a representative in the Union. | controller,processor
article* | Art. 28 | Chapter IV | Processor | Use only processors giving sufficient guarantees, under a contract with the required terms; processors need authorisation for sub-processors. | controller,processor
article* | Art. 29 | Chapter IV | Processing under the authority of the controller or processor | Anyone acting under a controller or processor processes data only on instructions. | controller,processor
article* | Art. 30 | Chapter IV | Records of processing activities | Keep a written record of processing activities with the required content, and show it to the authority on request. | controller,processor
article* | Art. 31 | Chapter IV | Cooperation with the supervisory authority | Cooperate with the supervisory authority when asked. | controller,processor
article* | Art. 32 | Chapter IV | Security of processing | Secure processing in proportion to the risk, for example with pseudonymisation, encryption, resilience, restore capability and regular testing. | controller,processor
article* | Art. 33 | Chapter IV | Notification of a personal data breach to the supervisory authority | Report a breach to the authority within 72 hours unless unlikely to harm people; processors tell the controller without undue delay; document every breach. | controller,processor
article* | Art. 34 | Chapter IV | Communication of a personal data breach to the data subject | Tell affected people without undue delay when a breach is likely to put them at high risk. | controller
article* | Art. 35 | Chapter IV | Data protection impact assessment | Assess the impact of processing likely to put people at high risk before it starts. | controller
article* | Art. 36 | Chapter IV | Prior consultation | Consult the authority before processing when an impact assessment shows high risk that measures cannot reduce. | controller
article* | Art. 37 | Chapter IV | Designation of the data protection officer | Designate a data protection officer where required, for example for large-scale monitoring or special categories, and publish the contact. | controller,processor
article* | Art. 38 | Chapter IV | Position of the data protection officer | Involve the officer properly, give them resources and independence, and do not dismiss or penalise them for their tasks. | controller,processor
article* | Art. 39 | Chapter IV | Tasks of the data protection officer | The officer at least informs, advises, monitors compliance, advises on impact assessments and cooperates with the authority. | controller,processor
article | Art. 40 | Chapter IV | Codes of conduct | Associations may draw up codes of conduct that authorities approve; adherence is voluntary and can help show compliance.
article | Art. 41 | Chapter IV | Monitoring of approved codes of conduct | Accredited bodies monitor compliance with approved codes.
article | Art. 42 | Chapter IV | Certification | Voluntary certification mechanisms, seals and marks can help show compliance.
article | Art. 43 | Chapter IV | Certification bodies | Requirements for the bodies that issue certifications.
chapter | Chapter V | - | Transfers of personal data to third countries or international organisations | When personal data may leave the Union.
article* | Art. 44 | Chapter V | General principle for transfers | Transfer personal data outside the Union only when the conditions of this chapter are met, onward transfers included. | controller,processor
article* | Art. 45 | Chapter V | Transfers on the basis of an adequacy decision | Transfers may rely on a Commission decision that the destination protects data adequately. | controller,processor
article* | Art. 46 | Chapter V | Transfers subject to appropriate safeguards | Without adequacy, transfers need appropriate safeguards such as standard contractual clauses, with enforceable rights and remedies. | controller,processor
article* | Art. 47 | Chapter V | Binding corporate rules | Groups may transfer within the group under binding corporate rules approved by the authority. | controller,processor
article* | Art. 48 | Chapter V | Transfers or disclosures not authorised by Union law | A foreign court or authority's demand for data is enforceable only through an international agreement such as a mutual legal assistance treaty. | controller,processor
article* | Art. 49 | Chapter V | Derogations for specific situations | Without adequacy or safeguards, transfers may rely only on narrow listed derogations, such as explicit consent or contract necessity. | controller,processor
article | Art. 50 | Chapter V | International cooperation for the protection of personal data | The Commission and authorities cooperate with third countries on data protection.
chapter | Chapter VIII | - | Remedies, liability and penalties | What people can do and what organisations risk when the Regulation is breached.
article | Art. 77 | Chapter VIII | Right to lodge a complaint with a supervisory authority | People may complain to a supervisory authority.
article | Art. 78 | Chapter VIII | Right to an effective judicial remedy against a supervisory authority | People may go to court against an authority's decision or inaction.
article | Art. 79 | Chapter VIII | Right to an effective judicial remedy against a controller or processor | People may go to court against a controller or processor.
article | Art. 80 | Chapter VIII | Representation of data subjects | Not-for-profit bodies may act on people's behalf.
article | Art. 81 | Chapter VIII | Suspension of proceedings | How courts handle parallel proceedings in several Member States.
article | Art. 82 | Chapter VIII | Right to compensation and liability | People who suffer damage from an infringement may claim compensation from the controller or processor.
article | Art. 83 | Chapter VIII | General conditions for imposing administrative fines | Fines up to 20 million euros or 4% of worldwide annual turnover, whichever is higher, for the gravest infringements.
article | Art. 84 | Chapter VIII | Penalties | Member States set other penalties for infringements.
`
