package catalogue

import "github.com/astrabastion/astra/domain/compliance"

// nistCSF is the NIST Cybersecurity Framework 2.0 (CSWP 29, February 2024):
// 6 functions, 22 categories, 106 subcategories. Subcategories have no official
// title; ours are short labels.
func nistCSF() compliance.Framework {
	return compliance.Framework{ID: NISTCSF, Name: "NIST Cybersecurity Framework", Version: "2.0", Publisher: "National Institute of Standards and Technology",
		Source: "https://doi.org/10.6028/NIST.CSWP.29", Kind: compliance.KindBuiltin, Scale: compliance.Percent, Requirements: table(csfTable)}
}

const csfTable = `
function | GV | - | GOVERN | Set, communicate and watch over the organisation's cybersecurity risk strategy, expectations and policy.
category | GV.OC | GV | Organizational Context | Know the mission, stakeholders, dependencies and obligations that shape cybersecurity risk decisions.
subcategory* | GV.OC-01 | GV.OC | Mission informs risk management | The organisation's mission is known and steers how cybersecurity risk is managed.
subcategory* | GV.OC-02 | GV.OC | Stakeholder expectations | Internal and external stakeholders, and what they expect of cybersecurity risk management, are known and taken into account.
subcategory* | GV.OC-03 | GV.OC | Legal and contractual obligations | Cybersecurity obligations from law, regulation and contracts, privacy and civil liberties included, are known and managed.
subcategory* | GV.OC-04 | GV.OC | What others depend on | The objectives, capabilities and services outside parties rely on the organisation for are known and communicated.
subcategory* | GV.OC-05 | GV.OC | What the organisation depends on | The outcomes, capabilities and services the organisation relies on are known and communicated.
category | GV.RM | GV | Risk Management Strategy | Priorities, constraints, risk appetite and tolerance, and assumptions are set, shared and used in operational risk decisions.
subcategory* | GV.RM-01 | GV.RM | Risk objectives agreed | Stakeholders agree on objectives for risk management.
subcategory* | GV.RM-02 | GV.RM | Appetite and tolerance | Risk appetite and tolerance statements exist, are communicated and kept current.
subcategory* | GV.RM-03 | GV.RM | Part of enterprise risk | Cybersecurity risk activities and results feed enterprise risk management.
subcategory* | GV.RM-04 | GV.RM | Risk response direction | A strategic direction naming the acceptable risk responses is set and communicated.
subcategory* | GV.RM-05 | GV.RM | Risk communication lines | There are lines of communication across the organisation for cybersecurity risk, including risk coming from suppliers and third parties.
subcategory* | GV.RM-06 | GV.RM | Standard risk method | One standard way to calculate, record, categorise and prioritise cybersecurity risk is set and communicated.
subcategory* | GV.RM-07 | GV.RM | Positive risk | Strategic opportunities are described and considered in risk discussions.
category | GV.RR | GV | Roles, Responsibilities, and Authorities | Cybersecurity roles and authorities are set and communicated so people are accountable and performance can be judged and improved.
subcategory* | GV.RR-01 | GV.RR | Leadership accountability | Leadership answers for cybersecurity risk and builds an ethical, risk-aware, improving culture.
subcategory* | GV.RR-02 | GV.RR | Roles defined and enforced | Cybersecurity risk roles, responsibilities and authorities are defined, communicated, understood and enforced.
subcategory* | GV.RR-03 | GV.RR | Adequate resources | Resources match the risk strategy, roles and policies.
subcategory* | GV.RR-04 | GV.RR | Security in HR practices | Human resources practices (hiring, onboarding, offboarding, discipline) include cybersecurity.
category | GV.PO | GV | Policy | A cybersecurity policy is set, communicated and enforced.
subcategory* | GV.PO-01 | GV.PO | Policy established | A policy for managing cybersecurity risk, based on context, strategy and priorities, is set, communicated and enforced.
subcategory* | GV.PO-02 | GV.PO | Policy kept current | The policy is reviewed and updated as requirements, threats, technology and mission change, and re-communicated.
category | GV.OV | GV | Oversight | What risk management achieves is used to inform, improve and adjust the strategy.
subcategory* | GV.OV-01 | GV.OV | Strategy outcomes reviewed | Outcomes of the risk strategy are reviewed to adjust strategy and direction.
subcategory* | GV.OV-02 | GV.OV | Strategy coverage reviewed | The strategy is reviewed and adjusted so it covers the organisation's requirements and risks.
subcategory* | GV.OV-03 | GV.OV | Performance evaluated | Risk management performance is measured and reviewed for needed changes.
category | GV.SC | GV | Cybersecurity Supply Chain Risk Management | Supply chain risk is identified, managed, monitored and improved by the organisation's stakeholders.
subcategory* | GV.SC-01 | GV.SC | Supply chain programme | A supply chain risk programme with strategy, objectives, policies and processes is set and agreed.
subcategory* | GV.SC-02 | GV.SC | Supply chain roles | Cybersecurity roles of suppliers, customers and partners are set, communicated and coordinated.
subcategory* | GV.SC-03 | GV.SC | Integrated with risk management | Supply chain risk management is part of cybersecurity and enterprise risk management, assessment and improvement.
subcategory* | GV.SC-04 | GV.SC | Suppliers known and ranked | Suppliers are known and ranked by how critical they are.
subcategory* | GV.SC-05 | GV.SC | Requirements in contracts | Supply chain cybersecurity requirements are set, prioritised and written into supplier and third-party agreements.
subcategory* | GV.SC-06 | GV.SC | Due diligence before engagement | Risk is reduced by planning and due diligence before a supplier relationship starts.
subcategory* | GV.SC-07 | GV.SC | Supplier risk managed | Risks from each supplier and its products and services are recorded, assessed, answered and monitored for the whole relationship.
subcategory* | GV.SC-08 | GV.SC | Suppliers in incident work | Relevant suppliers take part in incident planning, response and recovery.
subcategory* | GV.SC-09 | GV.SC | Supply chain practice monitored | Supply chain security practices are built into risk programmes and monitored over the product and service life cycle.
subcategory* | GV.SC-10 | GV.SC | After the relationship ends | Supply chain plans cover what happens once a partnership or service agreement ends.
function | ID | - | IDENTIFY | Understand the organisation's current cybersecurity risks.
category | ID.AM | ID | Asset Management | Assets that serve the business are known and managed according to their importance and the risk strategy.
subcategory* | ID.AM-01 | ID.AM | Hardware inventory | An inventory of the hardware the organisation manages is kept.
subcategory* | ID.AM-02 | ID.AM | Software and service inventory | An inventory of the software, services and systems the organisation manages is kept.
subcategory* | ID.AM-03 | ID.AM | Network and data flows | Authorised network communication and internal and external data flows are documented and kept current.
subcategory* | ID.AM-04 | ID.AM | Supplier service inventory | An inventory of services supplied by third parties is kept.
subcategory* | ID.AM-05 | ID.AM | Assets prioritised | Assets are ranked by classification, criticality, resources and mission impact.
subcategory* | ID.AM-07 | ID.AM | Data inventory | Inventories of designated data types and their metadata are kept.
subcategory* | ID.AM-08 | ID.AM | Life-cycle management | Every asset, data included, is looked after from the day it is acquired until it is retired and disposed of.
category | ID.RA | ID | Risk Assessment | The cybersecurity risk to the organisation, its assets and individuals is understood.
subcategory* | ID.RA-01 | ID.RA | Vulnerabilities recorded | Asset vulnerabilities are found, confirmed and recorded.
subcategory* | ID.RA-02 | ID.RA | Threat intelligence received | Threat intelligence is received from sharing forums and other sources.
subcategory* | ID.RA-03 | ID.RA | Threats recorded | Internal and external threats are identified and recorded.
subcategory* | ID.RA-04 | ID.RA | Impact and likelihood | For each threat and weakness it could use, how likely exploitation is and what it would cost are estimated and written down.
subcategory* | ID.RA-05 | ID.RA | Inherent risk understood | Threats, vulnerabilities, likelihood and impact are combined to understand inherent risk and rank responses.
subcategory* | ID.RA-06 | ID.RA | Risk responses managed | Risk responses are chosen, ranked, planned, tracked and communicated.
subcategory* | ID.RA-07 | ID.RA | Changes and exceptions | Every change and every exception to policy is weighed for its risk, logged and followed up.
subcategory* | ID.RA-08 | ID.RA | Vulnerability disclosure | There is a process to receive, analyse and answer vulnerability reports.
subcategory* | ID.RA-09 | ID.RA | Authentic hardware and software | Hardware and software are checked for authenticity and integrity before they are bought and used.
subcategory* | ID.RA-10 | ID.RA | Critical suppliers assessed | Critical suppliers are assessed before acquisition.
category | ID.IM | ID | Improvement | Improvements to risk management processes are found across all functions.
subcategory* | ID.IM-01 | ID.IM | From evaluations | Improvements are drawn from evaluations.
subcategory* | ID.IM-02 | ID.IM | From tests and exercises | Lessons come from security testing and exercises, those run jointly with suppliers and partners among them.
subcategory* | ID.IM-03 | ID.IM | From operations | Improvements are drawn from running operational processes and activities.
subcategory* | ID.IM-04 | ID.IM | Plans maintained | Incident response and other operational cybersecurity plans exist, are communicated, maintained and improved.
function | PR | - | PROTECT | Use safeguards to manage the organisation's cybersecurity risks.
category | PR.AA | PR | Identity Management, Authentication, and Access Control | Access to physical and logical assets is limited to authorised users, services and hardware, in proportion to the risk.
subcategory* | PR.AA-01 | PR.AA | Identities and credentials | The organisation manages identities and credentials of authorised users, services and hardware.
subcategory* | PR.AA-02 | PR.AA | Identity proofing | Identities are verified and bound to credentials as the context of interaction requires.
subcategory* | PR.AA-03 | PR.AA | Authentication | Users, services and hardware are authenticated.
subcategory* | PR.AA-04 | PR.AA | Identity assertions | Identity assertions are protected in transit and verified.
subcategory* | PR.AA-05 | PR.AA | Least privilege | Permissions are defined in policy, managed, enforced and reviewed, following least privilege and separation of duties.
subcategory* | PR.AA-06 | PR.AA | Physical access | Who can physically reach assets is controlled, watched and enforced as strictly as the risk demands.
category | PR.AT | PR | Awareness and Training | Personnel get the awareness and training they need for their cybersecurity tasks.
subcategory* | PR.AT-01 | PR.AT | General awareness | All personnel are trained to carry out everyday tasks with cybersecurity risk in mind.
subcategory* | PR.AT-02 | PR.AT | Specialised roles | People in specialised roles get the training their tasks require.
category | PR.DS | PR | Data Security | Data is managed in line with the risk strategy to protect its confidentiality, integrity and availability.
subcategory* | PR.DS-01 | PR.DS | Data at rest | Stored data is protected in confidentiality, integrity and availability.
subcategory* | PR.DS-02 | PR.DS | Data in transit | Data moving between systems is protected in confidentiality, integrity and availability.
subcategory* | PR.DS-10 | PR.DS | Data in use | Data being processed is protected in confidentiality, integrity and availability.
subcategory* | PR.DS-11 | PR.DS | Backups | Backups are made, protected, kept and tested.
category | PR.PS | PR | Platform Security | Hardware, software and services of physical and virtual platforms are managed in line with the risk strategy.
subcategory* | PR.PS-01 | PR.PS | Configuration management | Configuration management practices are set and applied.
subcategory* | PR.PS-02 | PR.PS | Software maintenance | Software is maintained, replaced and removed according to risk.
subcategory* | PR.PS-03 | PR.PS | Hardware maintenance | Hardware is maintained, replaced and removed according to risk.
subcategory* | PR.PS-04 | PR.PS | Logs for monitoring | Logs are produced and made available for continuous monitoring.
subcategory* | PR.PS-05 | PR.PS | Unauthorised software blocked | Installing and running unauthorised software is prevented.
subcategory* | PR.PS-06 | PR.PS | Secure development | Secure development practices are part of the software life cycle and their performance is monitored.
category | PR.IR | PR | Technology Infrastructure Resilience | Security architecture is managed to protect assets and keep the organisation resilient.
subcategory* | PR.IR-01 | PR.IR | Network protection | Networks and environments are protected from unauthorised logical access and use.
subcategory* | PR.IR-02 | PR.IR | Environmental threats | Fire, flood, heat, power loss and similar environmental hazards cannot easily damage technology assets.
subcategory* | PR.IR-03 | PR.IR | Resilience mechanisms | Mechanisms meet resilience requirements in normal and adverse conditions.
subcategory* | PR.IR-04 | PR.IR | Capacity | Enough resource capacity is kept to ensure availability.
function | DE | - | DETECT | Find and analyse possible cybersecurity attacks and compromises.
category | DE.CM | DE | Continuous Monitoring | Assets are monitored for anomalies, indicators of compromise and other possibly adverse events.
subcategory* | DE.CM-01 | DE.CM | Network monitoring | Networks and network services are monitored for adverse events.
subcategory* | DE.CM-02 | DE.CM | Physical monitoring | The physical environment is monitored for adverse events.
subcategory* | DE.CM-03 | DE.CM | Personnel and usage monitoring | Personnel activity and technology use are monitored for adverse events.
subcategory* | DE.CM-06 | DE.CM | Provider monitoring | Activities and services of external providers are monitored for adverse events.
subcategory* | DE.CM-09 | DE.CM | Platform and data monitoring | Computing platforms, the software and runtimes on them, and the data they hold are watched for signs of adverse events.
category | DE.AE | DE | Adverse Event Analysis | Anomalies and possible adverse events are analysed to characterise them and detect incidents.
subcategory* | DE.AE-02 | DE.AE | Events analysed | Possibly adverse events are analysed to understand the activity behind them.
subcategory* | DE.AE-03 | DE.AE | Correlation | Information from several sources is correlated.
subcategory* | DE.AE-04 | DE.AE | Impact and scope | How far an adverse event reaches and what harm it may do are estimated.
subcategory* | DE.AE-06 | DE.AE | Shared with responders | Information on adverse events reaches authorised staff and tools.
subcategory* | DE.AE-07 | DE.AE | Intelligence in analysis | Threat intelligence and other context feed the analysis.
subcategory* | DE.AE-08 | DE.AE | Incident declaration | Adverse events that meet the agreed criteria are formally declared incidents.
function | RS | - | RESPOND | Act on a detected cybersecurity incident.
category | RS.MA | RS | Incident Management | Responses to detected incidents are managed.
subcategory* | RS.MA-01 | RS.MA | Plan executed | Once an incident is declared the response plan is run, with relevant third parties.
subcategory* | RS.MA-02 | RS.MA | Triage | Incident reports are triaged and validated.
subcategory* | RS.MA-03 | RS.MA | Categorisation | Incidents are categorised and prioritised.
subcategory* | RS.MA-04 | RS.MA | Escalation | Incidents are escalated as needed.
subcategory* | RS.MA-05 | RS.MA | Recovery criteria | Criteria for starting recovery are applied.
category | RS.AN | RS | Incident Analysis | Investigations support an effective response, forensics and recovery.
subcategory* | RS.AN-03 | RS.AN | Root cause | Analysis establishes what happened and why.
subcategory* | RS.AN-06 | RS.AN | Investigation records | Investigation actions are recorded with their integrity and provenance preserved.
subcategory* | RS.AN-07 | RS.AN | Evidence preserved | Incident data and metadata are collected with their integrity and provenance preserved.
subcategory* | RS.AN-08 | RS.AN | Magnitude | The size of an incident is estimated and confirmed.
category | RS.CO | RS | Incident Response Reporting and Communication | Response is coordinated with internal and external stakeholders as law, regulation or policy require.
subcategory* | RS.CO-02 | RS.CO | Stakeholders notified | Internal and external stakeholders are told about incidents.
subcategory* | RS.CO-03 | RS.CO | Information shared | Designated parties inside and outside the organisation receive the information they need during a response.
category | RS.MI | RS | Incident Mitigation | Activities stop an event from spreading and limit its effects.
subcategory* | RS.MI-01 | RS.MI | Containment | Incidents are contained.
subcategory* | RS.MI-02 | RS.MI | Eradication | Incidents are eradicated.
function | RC | - | RECOVER | Restore assets and operations affected by a cybersecurity incident.
category | RC.RP | RC | Incident Recovery Plan Execution | Restoration brings affected systems and services back into operation.
subcategory* | RC.RP-01 | RC.RP | Recovery started | The recovery part of the response plan runs once the response process triggers it.
subcategory* | RC.RP-02 | RC.RP | Recovery actions | Recovery actions are chosen, scoped, prioritised and carried out.
subcategory* | RC.RP-03 | RC.RP | Backups verified | Backups and other restoration assets are checked for integrity before use.
subcategory* | RC.RP-04 | RC.RP | Post-incident norms | Critical mission functions and risk management shape the operating norms after an incident.
subcategory* | RC.RP-05 | RC.RP | Restoration confirmed | Restored assets are checked for integrity and normal operation is confirmed.
subcategory* | RC.RP-06 | RC.RP | Recovery closed | The end of recovery is declared against criteria and the incident documentation completed.
category | RC.CO | RC | Incident Recovery Communication | Restoration is coordinated with internal and external parties.
subcategory* | RC.CO-03 | RC.CO | Recovery progress shared | Recovery activities and progress are communicated to designated stakeholders.
subcategory* | RC.CO-04 | RC.CO | Public updates | Public updates on recovery use approved methods and messages.
`
