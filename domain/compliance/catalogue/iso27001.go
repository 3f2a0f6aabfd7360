package catalogue

import "github.com/astrabastion/astra/domain/compliance"

// iso27001 is Annex A of ISO/IEC 27001:2022: 93 controls in four themes
// (37 organizational, 8 people, 14 physical, 34 technological).
func iso27001() compliance.Framework {
	return compliance.Framework{ID: ISO27001, Name: "ISO/IEC 27001 Annex A", Version: "2022", Publisher: "ISO/IEC",
		Source: "https://www.iso.org/standard/82875.html", Kind: compliance.KindBuiltin, Scale: compliance.Percent, Requirements: table(iso27001Table)}
}

const iso27001Table = `
group | A.5 | - | Organizational controls | Controls the organisation puts in place through policy, roles and process.
control* | A.5.1 | A.5 | Policies for information security | Keep an approved information security policy and topic policies, publish them, and review them at planned intervals or on change.
control* | A.5.2 | A.5 | Information security roles and responsibilities | Define and assign security roles and responsibilities to fit the organisation's needs.
control* | A.5.3 | A.5 | Segregation of duties | Separate conflicting duties and areas of responsibility.
control* | A.5.4 | A.5 | Management responsibilities | Management requires everyone to apply security according to the policies and procedures.
control* | A.5.5 | A.5 | Contact with authorities | Set up and keep contact with the relevant authorities.
control* | A.5.6 | A.5 | Contact with special interest groups | Keep contact with security forums and professional associations.
control* | A.5.7 | A.5 | Threat intelligence | Collect and analyse information about threats to produce threat intelligence.
control* | A.5.8 | A.5 | Information security in project management | Build security into project management.
control* | A.5.9 | A.5 | Inventory of information and other associated assets | Keep an inventory of information and related assets, with owners.
control* | A.5.10 | A.5 | Acceptable use of information and other associated assets | Set, document and apply rules for the acceptable use and handling of information and assets.
control* | A.5.11 | A.5 | Return of assets | People return the organisation's assets when their employment, contract or agreement changes or ends.
control* | A.5.12 | A.5 | Classification of information | Classify information by confidentiality, integrity, availability and stakeholder needs.
control* | A.5.13 | A.5 | Labelling of information | Label information following the classification scheme.
control* | A.5.14 | A.5 | Information transfer | Have rules, procedures or agreements for every kind of information transfer, inside and outside.
control* | A.5.15 | A.5 | Access control | Set and apply rules for physical and logical access based on business and security needs.
control* | A.5.16 | A.5 | Identity management | Manage the whole life cycle of identities.
control* | A.5.17 | A.5 | Authentication information | Control how authentication information is allocated and managed, and advise people on handling it.
control* | A.5.18 | A.5 | Access rights | Grant, review, change and remove access rights according to the access control policy.
control* | A.5.19 | A.5 | Information security in supplier relationships | Define processes to manage security risks of using suppliers' products and services.
control* | A.5.20 | A.5 | Addressing information security within supplier agreements | Agree the relevant security requirements with each supplier.
control* | A.5.21 | A.5 | Managing information security in the ICT supply chain | Define processes to manage security risks in the ICT product and service supply chain.
control* | A.5.22 | A.5 | Monitoring, review and change management of supplier services | Monitor, review, evaluate and manage changes in suppliers' security practice and service delivery.
control* | A.5.23 | A.5 | Information security for use of cloud services | Set processes to acquire, use, manage and exit cloud services according to security needs.
control* | A.5.24 | A.5 | Information security incident management planning and preparation | Plan and prepare incident management with defined processes, roles and responsibilities.
control* | A.5.25 | A.5 | Assessment and decision on information security events | Assess security events and decide whether they are incidents.
control* | A.5.26 | A.5 | Response to information security incidents | Respond to incidents following documented procedures.
control* | A.5.27 | A.5 | Learning from information security incidents | Use what incidents teach to strengthen controls.
control* | A.5.28 | A.5 | Collection of evidence | Identify, collect, acquire and preserve evidence about security events.
control* | A.5.29 | A.5 | Information security during disruption | Plan how to keep security at an appropriate level during disruption.
control* | A.5.30 | A.5 | ICT readiness for business continuity | Plan, implement, maintain and test ICT readiness against continuity objectives.
control* | A.5.31 | A.5 | Legal, statutory, regulatory and contractual requirements | Identify, document and keep current the legal, regulatory and contractual security requirements and how they are met.
control* | A.5.32 | A.5 | Intellectual property rights | Have procedures that protect intellectual property rights.
control* | A.5.33 | A.5 | Protection of records | Protect records from loss, destruction, falsification, unauthorised access and release.
control* | A.5.34 | A.5 | Privacy and protection of PII | Identify and meet the requirements for privacy and protection of personal data.
control* | A.5.35 | A.5 | Independent review of information security | Have the approach to security reviewed independently at planned intervals or on significant change.
control* | A.5.36 | A.5 | Compliance with policies, rules and standards for information security | Check regularly that the security policies, rules and standards are followed.
control* | A.5.37 | A.5 | Documented operating procedures | Document operating procedures for processing facilities and make them available to those who need them.
group | A.6 | - | People controls | Controls that concern the people working for the organisation.
control* | A.6.1 | A.6 | Screening | Check the background of candidates before they join and regularly after, in proportion to the role and risk and within the law.
control* | A.6.2 | A.6 | Terms and conditions of employment | Employment contracts state the security responsibilities of staff and the organisation.
control* | A.6.3 | A.6 | Information security awareness, education and training | Give staff and relevant parties security awareness, education and training, with regular updates.
control* | A.6.4 | A.6 | Disciplinary process | Have a formal, communicated disciplinary process for policy violations.
control* | A.6.5 | A.6 | Responsibilities after termination or change of employment | Define and enforce the security duties that remain after someone leaves or changes role.
control* | A.6.6 | A.6 | Confidentiality or non-disclosure agreements | Keep confidentiality agreements that reflect the organisation's needs, signed and reviewed.
control* | A.6.7 | A.6 | Remote working | Protect information accessed, processed or stored when people work away from the premises.
control* | A.6.8 | A.6 | Information security event reporting | Give people a way to report observed or suspected security events quickly.
group | A.7 | - | Physical controls | Controls over premises, equipment and media.
control* | A.7.1 | A.7 | Physical security perimeters | Define and use perimeters to protect areas holding information and assets.
control* | A.7.2 | A.7 | Physical entry | Protect secure areas with entry controls and access points.
control* | A.7.3 | A.7 | Securing offices, rooms and facilities | Design and apply physical security for offices, rooms and facilities.
control* | A.7.4 | A.7 | Physical security monitoring | Watch premises continuously for unauthorised physical access.
control* | A.7.5 | A.7 | Protecting against physical and environmental threats | Protect against natural disasters, attacks and other physical and environmental threats.
control* | A.7.6 | A.7 | Working in secure areas | Set and apply rules for working in secure areas.
control* | A.7.7 | A.7 | Clear desk and clear screen | Enforce clear-desk rules for papers and media and clear-screen rules for devices.
control* | A.7.8 | A.7 | Equipment siting and protection | Place and protect equipment securely.
control* | A.7.9 | A.7 | Security of assets off-premises | Protect assets used outside the premises.
control* | A.7.10 | A.7 | Storage media | Manage storage media through acquisition, use, transport and disposal according to classification.
control* | A.7.11 | A.7 | Supporting utilities | Protect facilities from power failures and other utility disruptions.
control* | A.7.12 | A.7 | Cabling security | Protect power, data and supporting cables from interception, interference and damage.
control* | A.7.13 | A.7 | Equipment maintenance | Maintain equipment so it stays available, intact and confidential.
control* | A.7.14 | A.7 | Secure disposal or re-use of equipment | Check equipment with storage media and remove or overwrite sensitive data and licensed software before disposal or re-use.
group | A.8 | - | Technological controls | Controls built into technology and its operation.
control* | A.8.1 | A.8 | User end point devices | Protect information stored on, processed by or reachable from user devices.
control* | A.8.2 | A.8 | Privileged access rights | Restrict and manage the allocation and use of privileged access.
control* | A.8.3 | A.8 | Information access restriction | Restrict access to information and assets according to the access control policy.
control* | A.8.4 | A.8 | Access to source code | Manage read and write access to source code, development tools and software libraries.
control* | A.8.5 | A.8 | Secure authentication | Implement authentication technology and procedures suited to the access restrictions and policy.
control* | A.8.6 | A.8 | Capacity management | Monitor and adjust resource use against current and expected capacity needs.
control* | A.8.7 | A.8 | Protection against malware | Protect against malware, backed by user awareness.
control* | A.8.8 | A.8 | Management of technical vulnerabilities | Learn of technical vulnerabilities, evaluate exposure and take suitable measures.
control* | A.8.9 | A.8 | Configuration management | Establish, document, implement, monitor and review the configurations of hardware, software, services and networks, security settings included.
control* | A.8.10 | A.8 | Information deletion | Delete information from systems and devices once it is no longer needed.
control* | A.8.11 | A.8 | Data masking | Mask data according to the access control policy, other topic policies, business needs and the law.
control* | A.8.12 | A.8 | Data leakage prevention | Apply leak prevention to systems, networks and devices that handle sensitive information.
control* | A.8.13 | A.8 | Information backup | Keep and regularly test backups of information, software and systems according to the backup policy.
control* | A.8.14 | A.8 | Redundancy of information processing facilities | Provide enough redundancy in processing facilities to meet availability needs.
control* | A.8.15 | A.8 | Logging | Produce, store, protect and analyse logs of activities, exceptions, faults and other relevant events.
control* | A.8.16 | A.8 | Monitoring activities | Monitor networks, systems and applications for anomalous behaviour and act on potential incidents.
control* | A.8.17 | A.8 | Clock synchronization | Synchronise system clocks to approved time sources.
control* | A.8.18 | A.8 | Use of privileged utility programs | Restrict and tightly control utilities able to override system and application controls.
control* | A.8.19 | A.8 | Installation of software on operational systems | Manage software installation on operational systems securely.
control* | A.8.20 | A.8 | Networks security | Secure, manage and control networks and network devices to protect the information in systems and applications.
control* | A.8.21 | A.8 | Security of network services | Identify, implement and monitor the security mechanisms, service levels and requirements of network services.
control* | A.8.22 | A.8 | Segregation of networks | Segregate groups of services, users and systems on the network.
control* | A.8.23 | A.8 | Web filtering | Manage access to external websites to reduce exposure to malicious content.
control* | A.8.24 | A.8 | Use of cryptography | Define and apply rules for using cryptography, key management included.
control* | A.8.25 | A.8 | Secure development life cycle | Set and apply rules for the secure development of software and systems.
control* | A.8.26 | A.8 | Application security requirements | Identify, specify and approve security requirements when developing or acquiring applications.
control* | A.8.27 | A.8 | Secure system architecture and engineering principles | Set, document, maintain and apply principles for engineering secure systems.
control* | A.8.28 | A.8 | Secure coding | Apply secure coding principles to software development.
control* | A.8.29 | A.8 | Security testing in development and acceptance | Define and run security tests in the development life cycle.
control* | A.8.30 | A.8 | Outsourced development | Direct, monitor and review outsourced system development.
control* | A.8.31 | A.8 | Separation of development, test and production environments | Keep development, test and production environments apart and secured.
control* | A.8.32 | A.8 | Change management | Put changes to processing facilities and systems through change management procedures.
control* | A.8.33 | A.8 | Test information | Select, protect and manage information used for testing.
control* | A.8.34 | A.8 | Protection of information systems during audit testing | Plan and agree audit tests and other assurance activity on operational systems between the tester and management.
`
