package catalogue

import (
	"fmt"
	"strings"

	"github.com/astrabastion/astra/domain/compliance"
)

// soc2 is the AICPA 2017 Trust Services Criteria (TSP section 100) used in
// SOC 2 examinations: the 33 common criteria CC1.1–CC9.2 (security) and the
// additional criteria for availability (A1.1–A1.3), confidentiality
// (C1.1–C1.2), processing integrity (PI1.1–PI1.5) and privacy (P1.1–P8.1,
// 18 criteria).
//
// Points of focus are guidance, not criteria: an auditor considers them but
// they are not assessed one by one, so they are not assessable here. The AICPA
// does not number them; their IDs ("CC1.1-POF1") are our own sequence in the
// publication's order, and we carry those of CC1–CC9 we are confident of from
// the 2017 edition (the 2022 revision of the points of focus added and reworded
// some; those are not carried).
func soc2() compliance.Framework {
	reqs := table(soc2Table)
	withPOF := make([]compliance.Requirement, 0, len(reqs)+200)
	for _, r := range reqs {
		withPOF = append(withPOF, r)
		for i, p := range soc2PointsOfFocus[r.ID] {
			title, desc, ok := strings.Cut(p, ": ")
			if !ok {
				panic("catalogue: soc2 point of focus without description: " + p)
			}
			withPOF = append(withPOF, compliance.Requirement{ID: fmt.Sprintf("%s-POF%d", r.ID, i+1), ParentID: r.ID,
				Class: compliance.ClassPointOfFocus, Title: title, Description: desc})
		}
	}
	return compliance.Framework{ID: SOC2, Name: "SOC 2 Trust Services Criteria", Version: "2017", Publisher: "AICPA",
		Source: "https://www.aicpa-cima.com/resources/download/get-the-2017-trust-services-criteria",
		Kind:   compliance.KindBuiltin, Scale: compliance.Percent, Requirements: withPOF}
}

const soc2Table = `
group | CC | - | Common Criteria (Security) | The criteria every SOC 2 examination covers; they also serve the other categories.
group | CC1 | CC | Control Environment | The tone, structure and people that make internal control work.
criterion* | CC1.1 | CC1 | COSO Principle 1 | The entity shows it is committed to integrity and ethical values.
criterion* | CC1.2 | CC1 | COSO Principle 2 | The board is independent of management and oversees internal control.
criterion* | CC1.3 | CC1 | COSO Principle 3 | Management, overseen by the board, sets structures, reporting lines, authorities and responsibilities for pursuing objectives.
criterion* | CC1.4 | CC1 | COSO Principle 4 | The entity attracts, develops and keeps competent people in line with its objectives.
criterion* | CC1.5 | CC1 | COSO Principle 5 | The entity holds people accountable for their internal control duties.
group | CC2 | CC | Communication and Information | Quality information reaches the people and parties who need it.
criterion* | CC2.1 | CC2 | COSO Principle 13 | The entity obtains or produces, and uses, relevant quality information to support internal control.
criterion* | CC2.2 | CC2 | COSO Principle 14 | The entity communicates internal control information, objectives and responsibilities included, inside the organisation.
criterion* | CC2.3 | CC2 | COSO Principle 15 | The entity communicates with outside parties about matters that affect internal control.
group | CC3 | CC | Risk Assessment | Objectives are set and the risks to them identified, analysed and followed through change.
criterion* | CC3.1 | CC3 | COSO Principle 6 | Objectives are specified clearly enough to identify and assess the risks to them.
criterion* | CC3.2 | CC3 | COSO Principle 7 | Risks to objectives are identified across the entity and analysed to decide how to manage them.
criterion* | CC3.3 | CC3 | COSO Principle 8 | The potential for fraud is considered when assessing risk.
criterion* | CC3.4 | CC3 | COSO Principle 9 | Changes that could significantly affect internal control are identified and assessed.
group | CC4 | CC | Monitoring Activities | Controls are evaluated and their deficiencies acted upon.
criterion* | CC4.1 | CC4 | COSO Principle 16 | Ongoing and separate evaluations check that the components of internal control are present and working.
criterion* | CC4.2 | CC4 | COSO Principle 17 | Deficiencies are evaluated and communicated in time to those who must correct them, up to senior management and the board.
group | CC5 | CC | Control Activities | Actions set by policy that bring risks down to acceptable levels.
criterion* | CC5.1 | CC5 | COSO Principle 10 | Control activities are chosen and developed that reduce risks to objectives to acceptable levels.
criterion* | CC5.2 | CC5 | COSO Principle 11 | General controls over technology are chosen and developed to support objectives.
criterion* | CC5.3 | CC5 | COSO Principle 12 | Control activities are deployed through policies stating what is expected and procedures putting them into action.
group | CC6 | CC | Logical and Physical Access Controls | Who and what may reach systems, data and facilities.
criterion* | CC6.1 | CC6 | Logical access security | Logical access security software, infrastructure and architecture protect information assets from security events.
criterion* | CC6.2 | CC6 | User registration and authorisation | Users are registered and authorised before credentials are issued, and credentials are removed when access is no longer authorised.
criterion* | CC6.3 | CC6 | Role-based access | Access is granted, changed and removed by role and responsibility, with least privilege and segregation of duties.
criterion* | CC6.4 | CC6 | Physical access | Physical access to facilities and protected information assets is restricted to authorised people.
criterion* | CC6.5 | CC6 | Asset disposal | Protections over physical assets are removed only after the data on them can no longer be read or recovered.
criterion* | CC6.6 | CC6 | External threats to access | Logical access measures protect against threats from sources outside the system boundaries.
criterion* | CC6.7 | CC6 | Transmission and movement of information | Transmission, movement and removal of information are limited to authorised users and processes and protected in transit.
criterion* | CC6.8 | CC6 | Malicious software | Controls prevent or detect, and act on, unauthorised or malicious software.
group | CC7 | CC | System Operations | Detecting, analysing, responding to and recovering from security events.
criterion* | CC7.1 | CC7 | Vulnerability and configuration detection | Detection and monitoring find configuration changes that introduce vulnerabilities and newly discovered vulnerabilities.
criterion* | CC7.2 | CC7 | Anomaly monitoring | System components and their operation are monitored for anomalies that signal malicious acts, disasters or errors, and the anomalies analysed.
criterion* | CC7.3 | CC7 | Security event evaluation | Security events are evaluated to decide whether they could cause, or did cause, a failure to meet objectives, and acted upon.
criterion* | CC7.4 | CC7 | Incident response | Identified security incidents are answered by a defined response programme to understand, contain, remediate and communicate them.
criterion* | CC7.5 | CC7 | Incident recovery | Activities to recover from identified security incidents are identified, developed and carried out.
group | CC8 | CC | Change Management | Changes to the system are controlled.
criterion* | CC8.1 | CC8 | Change management | Changes to infrastructure, data, software and procedures are authorised, designed, developed or acquired, configured, documented, tested, approved and implemented.
group | CC9 | CC | Risk Mitigation | Business disruption and third-party risk are mitigated.
criterion* | CC9.1 | CC9 | Business disruption | Risk mitigation activities for potential business disruptions are identified, chosen and developed.
criterion* | CC9.2 | CC9 | Vendors and business partners | Risks from vendors and business partners are assessed and managed.
group | A | - | Additional Criteria for Availability | The system is available for operation and use as committed or agreed.
criterion* | A1.1 | A | Capacity | Current processing capacity and use are maintained, monitored and evaluated so demand can be met and added capacity planned.
criterion* | A1.2 | A | Environmental protection and recovery infrastructure | Environmental protections, software, data backup and recovery infrastructure are authorised, designed, built, operated, approved, maintained and monitored.
criterion* | A1.3 | A | Recovery testing | Recovery plan procedures supporting system recovery are tested.
group | C | - | Additional Criteria for Confidentiality | Information designated confidential is protected as committed or agreed.
criterion* | C1.1 | C | Identifying confidential information | Confidential information is identified and maintained to meet confidentiality objectives.
criterion* | C1.2 | C | Disposing of confidential information | Confidential information is disposed of to meet confidentiality objectives.
group | PI | - | Additional Criteria for Processing Integrity | Processing is complete, valid, accurate, timely and authorised.
criterion* | PI1.1 | PI | Processing specifications | Relevant quality information on processing objectives, data definitions and product or service specifications is obtained or produced, and used.
criterion* | PI1.2 | PI | System inputs | Policies and procedures over inputs make them complete and accurate.
criterion* | PI1.3 | PI | System processing | Policies and procedures over processing make it complete, accurate and timely.
criterion* | PI1.4 | PI | System outputs | Policies and procedures make outputs complete, accurate and timely, delivered only to the intended parties.
criterion* | PI1.5 | PI | Storage | Policies and procedures keep stored inputs, items in process and outputs complete, accurate and timely.
group | P | - | Additional Criteria for Privacy | Personal information is collected, used, kept, disclosed and disposed of to meet the entity's objectives.
group | P1 | P | Notice and Communication of Objectives Related to Privacy | Telling data subjects about privacy practices.
criterion* | P1.1 | P1 | Privacy notice | Data subjects are given timely notice of the entity's privacy practices.
group | P2 | P | Choice and Consent | Giving data subjects choices and obtaining their consent.
criterion* | P2.1 | P2 | Choice and consent | The choices available about collection, use, retention, disclosure and disposal are communicated and consent is obtained and recorded.
group | P3 | P | Collection | Collecting personal information.
criterion* | P3.1 | P3 | Collection limited to purpose | Personal information is collected only as the privacy objectives need.
criterion* | P3.2 | P3 | Explicit consent | Where explicit consent is needed, the need and the consequences of refusing are explained and consent is obtained before collection.
group | P4 | P | Use, Retention, and Disposal | Using, keeping and disposing of personal information.
criterion* | P4.1 | P4 | Use limited to purpose | Use of personal information is limited to the purposes identified in the objectives.
criterion* | P4.2 | P4 | Retention | Personal information is kept only as the objectives require.
criterion* | P4.3 | P4 | Secure disposal | Personal information is disposed of securely.
group | P5 | P | Access | Letting data subjects see and correct their information.
criterion* | P5.1 | P5 | Access by data subjects | Identified and authenticated data subjects can see their stored personal information, and any refusal is explained.
criterion* | P5.2 | P5 | Correction | Personal information is corrected, amended or appended at the data subject's request, and refusals are explained.
group | P6 | P | Disclosure and Notification | Disclosing personal information and notifying breaches.
criterion* | P6.1 | P6 | Disclosure with consent | Personal information goes to third parties only with the data subject's explicit consent.
criterion* | P6.2 | P6 | Record of authorised disclosures | A complete, accurate and timely record of authorised disclosures is kept.
criterion* | P6.3 | P6 | Record of unauthorised disclosures | A complete, accurate and timely record of detected or reported unauthorised disclosures, breaches included, is kept.
criterion* | P6.4 | P6 | Third-party privacy commitments | Vendors and other third parties with access to personal information commit to privacy practices, and are checked.
criterion* | P6.5 | P6 | Third-party breach notice | Vendors and other third parties commit to report unauthorised disclosures to the entity.
criterion* | P6.6 | P6 | Breach notification | Affected data subjects, regulators and others are notified of breaches and incidents.
criterion* | P6.7 | P6 | Accounting of disclosures | Data subjects can get an account of the personal information held about them and its disclosures.
group | P7 | P | Quality | Keeping personal information accurate.
criterion* | P7.1 | P7 | Data quality | Personal information is accurate, up to date, complete and relevant for its purposes.
group | P8 | P | Monitoring and Enforcement | Handling privacy inquiries, complaints and disputes.
criterion* | P8.1 | P8 | Inquiries, complaints and disputes | A process receives, handles, resolves and reports back on privacy inquiries, complaints and disputes, and compliance is monitored.
`

// soc2PointsOfFocus lists, per criterion, "official name: our summary".
var soc2PointsOfFocus = map[string][]string{
	"CC1.1": {
		"Sets the Tone at the Top: Leaders show through direction and conduct that integrity and ethics matter.",
		"Establishes Standards of Conduct: Expected conduct is written down and understood at every level and by service providers.",
		"Evaluates Adherence to Standards of Conduct: Conduct is checked against the standards.",
		"Addresses Deviations in a Timely Manner: Departures from the standards are found and corrected promptly.",
	},
	"CC1.2": {
		"Establishes Oversight Responsibilities: The board knows and accepts its oversight duties.",
		"Applies Relevant Expertise: The board has, or obtains, the skills oversight needs.",
		"Operates Independently: Enough board members are independent of management to challenge it.",
		"Supplements Board Expertise: The board draws on outside experts where it lacks expertise.",
	},
	"CC1.3": {
		"Considers All Structures of the Entity: Structures, including outsourced ones, are considered in pursuing objectives.",
		"Establishes Reporting Lines: Reporting lines let authority and information flow for each structure.",
		"Defines, Assigns, and Limits Authorities and Responsibilities: Authority is delegated and limited by level, with segregation of duties.",
	},
	"CC1.4": {
		"Establishes Policies and Practices: Policies say what competence is needed.",
		"Evaluates Competence and Addresses Shortcomings: Competence is evaluated and gaps closed.",
		"Attracts, Develops, and Retains Individuals: Mentoring and training attract, grow and keep people.",
		"Plans and Prepares for Succession: Contingency and succession plans cover key roles.",
	},
	"CC1.5": {
		"Enforces Accountability Through Structures, Authorities, and Responsibilities: Accountability for internal control is established and acted on.",
		"Establishes Performance Measures, Incentives, and Rewards: Measures and rewards fit responsibilities at every level.",
		"Evaluates Performance Measures, Incentives, and Rewards for Ongoing Relevance: Measures and rewards are kept aligned with objectives.",
		"Considers Excessive Pressures: Pressure on people is weighed when assigning duties and setting targets.",
		"Evaluates Performance and Rewards or Disciplines Individuals: Performance, including conduct, is evaluated and rewarded or sanctioned.",
	},
	"CC2.1": {
		"Identifies Information Requirements: The information internal control needs is identified.",
		"Captures Internal and External Sources of Data: Data comes from internal and external sources.",
		"Processes Relevant Data Into Information: Relevant data becomes information.",
		"Maintains Quality Throughout Processing: Information stays timely, current, accurate, complete, accessible, protected and verifiable.",
	},
	"CC2.2": {
		"Communicates Internal Control Information: People learn their internal control duties and what they need to carry them out.",
		"Communicates With the Board of Directors: Management and the board exchange what each needs for its role.",
		"Provides Separate Communication Lines: Separate channels, such as a whistle-blower line, exist when normal ones fail.",
		"Selects Relevant Method of Communication: The channel suits timing, audience and content.",
	},
	"CC2.3": {
		"Communicates to External Parties: Relevant information reaches outside parties such as customers, suppliers and regulators.",
		"Enables Inbound Communications: Outside parties have open channels to reach management and the board.",
		"Communicates With the Board of Directors: Relevant results of external assessments reach the board.",
		"Provides Separate Communication Lines: Separate channels let outside parties report confidentially.",
		"Selects Relevant Method of Communication: The channel suits timing, audience, content and legal requirements.",
	},
	"CC3.1": {
		"Operations Objectives: Operational objectives reflect management's choices, risk tolerances and performance goals.",
		"External Financial Reporting Objectives: Objectives for external financial reports follow the applicable accounting standards.",
		"External Nonfinancial Reporting Objectives: Objectives for other external reports follow the applicable standards and frameworks.",
		"Internal Reporting Objectives: Internal reports give management accurate and complete information for decisions.",
		"Compliance Objectives: Objectives reflect the laws and regulations that apply.",
	},
	"CC3.2": {
		"Includes Entity, Subsidiary, Division, Operating Unit, and Functional Levels: Risk is identified and assessed at every organisational level.",
		"Analyzes Internal and External Factors: Internal and external factors and their effect on objectives are considered.",
		"Involves Appropriate Levels of Management: The right levels of management take part in risk assessment.",
		"Estimates Significance of Risks Identified: The significance of each risk is estimated, likelihood and impact included.",
		"Determines How to Respond to Risks: The response to each risk is chosen: accept, avoid, reduce or share.",
		"Identifies and Assesses Criticality of Information Assets and Identifies Threats and Vulnerabilities: Information assets are ranked and their threats and vulnerabilities found.",
		"Analyzes Threats and Vulnerabilities From Vendors, Business Partners, and Other Parties: Risks from vendors, partners and others are analysed.",
		"Considers the Significance of the Risk: Likelihood, impact and mitigation are weighed together.",
	},
	"CC3.3": {
		"Considers Various Types of Fraud: Fraudulent reporting, loss of assets and corruption are considered.",
		"Assesses Incentives and Pressures: Incentives and pressures that could lead to fraud are assessed.",
		"Assesses Opportunities: Opportunities for unauthorised acquisition, use or disposal of assets are assessed.",
		"Assesses Attitudes and Rationalizations: How people might justify wrongdoing is considered.",
	},
	"CC3.4": {
		"Assesses Changes in the External Environment: Changes in regulation, economy and physical environment are assessed.",
		"Assesses Changes in the Business Model: New business lines, acquisitions, rapid growth and new technology are assessed.",
		"Assesses Changes in Leadership: Changes in management and their attitudes are assessed.",
		"Assesses Changes in Systems and Technology: Changes to systems and technology are assessed for their effect on control.",
		"Assesses Changes in Vendor and Business Partner Relationships: Changes in vendor and partner relationships are assessed.",
	},
	"CC4.1": {
		"Considers a Mix of Ongoing and Separate Evaluations: Ongoing and separate evaluations are balanced.",
		"Considers Rate of Change: The pace of change in business and processes shapes evaluations.",
		"Establishes Baseline Understanding: Evaluations start from a known baseline of the control system.",
		"Uses Knowledgeable Personnel: Evaluators understand what they evaluate.",
		"Integrates With Business Processes: Ongoing evaluations are built into business processes.",
		"Adjusts Scope and Frequency: Scope and frequency follow the risk.",
		"Objectively Evaluates: Separate evaluations provide objective feedback.",
	},
	"CC4.2": {
		"Assesses Results: Results of evaluations are assessed.",
		"Communicates Deficiencies: Deficiencies reach those responsible for corrective action and senior management.",
		"Monitors Corrective Action: Corrective action is tracked until deficiencies are fixed.",
	},
	"CC5.1": {
		"Integrates With Risk Assessment: Control activities answer the risks found.",
		"Considers Entity-Specific Factors: The environment, complexity and scope of operations shape control choices.",
		"Determines Relevant Business Processes: The business processes needing control activities are determined.",
		"Evaluates a Mix of Control Activity Types: Manual and automated, preventive and detective controls are mixed.",
		"Considers at What Level Activities Are Applied: Controls are placed at suitable organisational levels.",
		"Addresses Segregation of Duties: Incompatible duties are separated, or alternative controls chosen.",
	},
	"CC5.2": {
		"Determines Dependency Between the Use of Technology in Business Processes and Technology General Controls: How processes depend on technology controls is understood.",
		"Establishes Relevant Technology Infrastructure Control Activities: Controls over technology infrastructure are set.",
		"Establishes Relevant Security Management Process Controls Activities: Controls restrict technology access to authorised users.",
		"Establishes Relevant Technology Acquisition, Development, and Maintenance Process Control Activities: Controls cover acquiring, developing and maintaining technology.",
	},
	"CC5.3": {
		"Establishes Policies and Procedures to Support Deployment of Management's Directives: Policies and procedures turn directives into action.",
		"Establishes Responsibility and Accountability for Executing Policies and Procedures: Responsibility for carrying out policies lies with the relevant management.",
		"Performs in a Timely Manner: Control activities happen when they should.",
		"Takes Corrective Action: Issues found by control activities are investigated and fixed.",
		"Performs Using Competent Personnel: Competent people with authority carry out control activities.",
		"Reassesses Policies and Procedures: Policies and procedures are reviewed and updated periodically.",
	},
	"CC6.1": {
		"Identifies and Manages the Inventory of Information Assets: Information assets, infrastructure and software are inventoried and classified.",
		"Restricts Logical Access: Logical access to assets is restricted by access control software and rules.",
		"Identifies and Authenticates Users: Users are identified and authenticated before they get access.",
		"Considers Network Segmentation: Network segmentation keeps unrelated parts of the system apart.",
		"Manages Points of Access: Points of access from outside are identified and managed.",
		"Restricts Access to Information Assets: Combinations of data, software and infrastructure restrict access.",
		"Manages Identification and Authentication: Identification and authentication requirements are set and managed.",
		"Manages Credentials for Infrastructure and Software: Credentials for infrastructure and software are managed.",
		"Uses Encryption to Protect Data: Encryption protects data where the risk calls for it.",
		"Protects Encryption Keys: Keys are protected over their life cycle.",
	},
	"CC6.2": {
		"Controls Access Credentials to Protected Assets: Credentials are issued only after approval by the asset owner.",
		"Removes Access to Protected Assets When Appropriate: Credentials are removed when access is no longer authorised.",
		"Reviews Appropriateness of Access Credentials: Credentials are reviewed periodically.",
	},
	"CC6.3": {
		"Creates or Modifies Access to Protected Information Assets: Access is created or changed only on authorisation.",
		"Removes Access to Protected Information Assets: Access is removed on role change or departure.",
		"Uses Role-Based Access Controls: Access follows roles and segregates incompatible functions.",
		"Reviews Access Roles and Rules: Roles and rules are reviewed periodically.",
	},
	"CC6.4": {
		"Creates or Modifies Physical Access: Physical access is created or changed only on authorisation.",
		"Removes Physical Access: Physical access is removed when no longer needed.",
		"Reviews Physical Access: Physical access is reviewed periodically.",
	},
	"CC6.5": {
		"Identifies Data and Software for Disposal: Data and software due for disposal are identified.",
		"Removes Data and Software From Entity Control: Data and software are made unreadable before media leave the entity's control.",
	},
	"CC6.6": {
		"Restricts Access: The kinds of activity allowed through external connections are restricted.",
		"Protects Identification and Authentication Credentials: Credentials are protected in transit outside the boundaries.",
		"Requires Additional Authentication or Credentials: Extra authentication is required from outside the boundaries.",
		"Implements Boundary Protection Systems: Firewalls and similar systems protect external access points.",
	},
	"CC6.7": {
		"Restricts the Ability to Perform Transmission: Data loss prevention and similar means limit who can transmit, move or remove information.",
		"Uses Encryption Technologies or Secure Communication Channels to Protect Data: Data in transit beyond connectivity points is encrypted or sent over secure channels.",
		"Protects Removal Media: Removable media are encrypted and protected.",
		"Protects Mobile Devices: Mobile devices with access to assets are protected.",
	},
	"CC6.8": {
		"Restricts Application and Software Installation: Installing applications and software is restricted to authorised people.",
		"Detects Unauthorized Changes to Software and Configuration Parameters: Unauthorised changes to software and configuration are detected.",
		"Uses a Defined Change Control Process: A change control process governs software deployment.",
		"Uses Antivirus and Anti-Malware Software: Anti-malware is installed and kept current.",
		"Scans Information Assets from Outside the Entity for Malware and Other Unauthorized Software: Incoming media and software are scanned before use.",
	},
	"CC7.1": {
		"Uses Defined Configuration Standards: Configuration standards are defined and applied.",
		"Monitors Infrastructure and Software: Infrastructure and software are monitored for non-compliance with the standards.",
		"Implements Change-Detection Mechanisms: Changes to critical files and settings are detected and alerted.",
		"Detects Unknown or Unauthorized Components: Unknown or unauthorised components are detected.",
		"Conducts Vulnerability Scans: Vulnerability scans run periodically and after significant change.",
	},
	"CC7.2": {
		"Implements Detection Policies, Procedures, and Tools: Detection policies, procedures and tools find anomalies.",
		"Designs Detection Measures: Detection covers unauthorised access, compromise of boundaries, components and credentials.",
		"Implements Filters to Analyze Anomalies: Filters separate real anomalies from noise.",
		"Monitors Detection Tools for Effective Operation: The detection tools themselves are checked.",
	},
	"CC7.3": {
		"Responds to Security Incidents: Procedures take detected events through evaluation to response.",
		"Communicates and Reviews Detected Security Events: Detected events reach and are reviewed by the people responsible.",
		"Develops and Implements Procedures to Analyze Security Incidents: Procedures analyse incidents to establish their nature and impact.",
	},
	"CC7.4": {
		"Assigns Roles and Responsibilities: Roles for responding to incidents are assigned.",
		"Contains Security Incidents: Incidents are contained.",
		"Mitigates Ongoing Security Incidents: Ongoing incidents are mitigated.",
		"Ends Threats Posed by Security Incidents: The threat behind an incident is removed.",
		"Restores Operations: Affected operations are restored.",
		"Develops and Implements Communication Protocols for Security Incidents: Protocols govern communication about incidents.",
		"Obtains Understanding of Nature of Incident and Determines Containment Strategy: The incident is understood before containment is chosen.",
		"Remediates Identified Vulnerabilities: Vulnerabilities behind the incident are fixed.",
		"Communicates Remediation Activities: Remediation is communicated.",
		"Evaluates the Effectiveness of Incident Response: How well the response worked is evaluated.",
		"Periodically Evaluates Incidents: Incidents are reviewed periodically for patterns.",
	},
	"CC7.5": {
		"Restores the Affected Environment: The affected environment is restored.",
		"Communicates Information About the Event: Information about the event is shared with those who need it.",
		"Determines Root Cause of the Event: The root cause is established.",
		"Implements Changes to Prevent and Detect Recurrences: Changes make recurrence less likely and easier to detect.",
		"Improves Response and Recovery Procedures: Response and recovery procedures are improved from lessons learned.",
		"Implements Incident Recovery Plan Testing: Incident recovery plans are tested.",
	},
	"CC8.1": {
		"Manages Changes Throughout the System Lifecycle: A change process covers the whole system life cycle.",
		"Authorizes Changes: Changes are authorised before work starts.",
		"Designs and Develops Changes: Changes are designed and built in a controlled way.",
		"Documents Changes: Changes are documented.",
		"Tracks System Changes: Changes are tracked until deployed.",
		"Configures Software: Software configuration is controlled.",
		"Tests System Changes: Changes are tested before going to production.",
		"Approves System Changes: Changes are approved before implementation.",
		"Deploys System Changes: Changes are deployed in a controlled way.",
		"Identifies and Evaluates System Changes: Objectives affected by a change are identified and its effect evaluated.",
		"Identifies Changes in Infrastructure, Data, Software, and Procedures Required to Remediate Incidents: Changes needed to fix incidents go through the process.",
		"Creates Baseline Configuration of IT Technology: A baseline configuration exists.",
		"Provides for Changes Necessary in Emergency Situations: An emergency change path exists and is controlled.",
	},
	"CC9.1": {
		"Considers Mitigation of Risks of Business Disruption: Continuity and recovery planning mitigate business disruption.",
		"Considers the Use of Insurance to Mitigate Financial Impact Risks: Insurance is considered for financial impact.",
	},
	"CC9.2": {
		"Establishes Requirements for Vendor and Business Partner Engagements: Requirements for vendors and partners are set.",
		"Assesses Vendor and Business Partner Risks: Vendor and partner risks are assessed periodically.",
		"Assigns Responsibility and Accountability for Managing Vendors and Business Partners: Someone is accountable for each relationship.",
		"Establishes Communication Protocols for Vendors and Business Partners: Communication with vendors and partners is defined.",
		"Establishes Exception Handling Procedures From Vendors and Business Partners: Exceptions raised by vendors and partners are handled.",
		"Assesses Vendor and Business Partner Performance: Vendor and partner performance is reviewed.",
		"Implements Procedures for Addressing Issues Identified During Vendor and Business Partner Assessments: Issues found in reviews are addressed.",
		"Implements Procedures for Terminating Vendor and Business Partner Relationships: Relationships are ended in a controlled way.",
		"Obtains Confidentiality Commitments from Vendors and Business Partners: Vendors and partners commit to confidentiality.",
		"Assesses Compliance With Confidentiality Commitments of Vendors and Business Partners: Confidentiality commitments are checked.",
		"Obtains Privacy Commitments from Vendors and Business Partners: Vendors and partners commit to privacy.",
		"Assesses Compliance with Privacy Commitments of Vendors and Business Partners: Privacy commitments are checked.",
	},
}
