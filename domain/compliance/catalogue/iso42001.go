package catalogue

import "github.com/astrabastion/astra/domain/compliance"

// iso42001 is Annex A (normative reference controls) of ISO/IEC 42001:2023, the
// AI management system standard: 38 controls under nine objectives A.2–A.10.
// A.6 has two sub-objectives (A.6.1, A.6.2) that group its controls. The
// objective headings A.x.1 of the other sections state an objective, not a
// control, and are folded into their section here.
func iso42001() compliance.Framework {
	return compliance.Framework{ID: ISO42001, Name: "ISO/IEC 42001 Annex A", Version: "2023", Publisher: "ISO/IEC",
		Source: "https://www.iso.org/standard/81230.html", Kind: compliance.KindBuiltin, Scale: compliance.Percent, Requirements: table(iso42001Table)}
}

const iso42001Table = `
objective | A.2 | - | Policies related to AI | Management gives direction and support for AI systems through policy, in line with business needs.
control* | A.2.2 | A.2 | AI policy | Document a policy for developing or using AI systems.
control* | A.2.3 | A.2 | Alignment with other organizational policies | Work out where other policies (security, privacy, quality …) bear on AI and align them.
control* | A.2.4 | A.2 | Review of the AI policy | Review the AI policy at planned intervals, or when needed, so it stays suitable and effective.
objective | A.3 | - | Internal organization | An accountability structure exists for implementing, operating and managing AI responsibly.
control* | A.3.2 | A.3 | AI roles and responsibilities | Define and allocate AI roles and responsibilities to the organisation's needs.
control* | A.3.3 | A.3 | Reporting of concerns | Give people a process to raise concerns about the organisation's role with an AI system over its life cycle.
objective | A.4 | - | Resources for AI systems | The resources of AI systems are accounted for so their impacts and risks are understood.
control* | A.4.2 | A.4 | Resource documentation | Identify and document the resources each AI system life-cycle stage and AI activity needs.
control* | A.4.3 | A.4 | Data resources | Document the data resources used by the AI system.
control* | A.4.4 | A.4 | Tooling resources | Document the tools used by the AI system.
control* | A.4.5 | A.4 | System and computing resources | Document the system and computing resources used by the AI system.
control* | A.4.6 | A.4 | Human resources | Document the people and competences needed for each life-cycle stage.
objective | A.5 | - | Assessing impacts of AI systems | The impacts of AI systems on individuals, groups and societies are assessed across the life cycle.
control* | A.5.2 | A.5 | AI system impact assessment process | Have a process to assess the possible consequences of an AI system's development, provision or use.
control* | A.5.3 | A.5 | Documentation of AI system impact assessments | Document and retain impact assessment results for a defined period.
control* | A.5.4 | A.5 | Assessing AI system impact on individuals or groups of individuals | Assess and document the possible effects of the AI system on individuals and groups over its life cycle.
control* | A.5.5 | A.5 | Assessing societal impacts of AI systems | Assess and document the possible societal effects of the AI system over its life cycle.
objective | A.6 | - | AI system life cycle | AI systems are designed, developed, deployed and operated responsibly and to defined objectives.
objective | A.6.1 | A.6 | Management guidance for AI system development | The organisation sets objectives and processes for responsible AI design and development.
control* | A.6.1.2 | A.6.1 | Objectives for responsible development of AI system | Identify and document objectives for responsible AI development and act on them in development.
control* | A.6.1.3 | A.6.1 | Processes for responsible AI system design and development | Define and document the processes for responsible design and development.
objective | A.6.2 | A.6 | AI system life cycle | Criteria and requirements cover each stage of the AI system life cycle.
control* | A.6.2.2 | A.6.2 | AI system requirements and specification | Specify and document requirements for new AI systems or material changes to existing ones.
control* | A.6.2.3 | A.6.2 | Documentation of AI system design and development | Document design and development from the objectives, requirements and criteria.
control* | A.6.2.4 | A.6.2 | AI system verification and validation | Define and document verification and validation measures and the criteria for using them.
control* | A.6.2.5 | A.6.2 | AI system deployment | Document a deployment plan and check the requirements are met before deploying.
control* | A.6.2.6 | A.6.2 | AI system operation and monitoring | Define what operation needs, including monitoring, repairs, updates and support.
control* | A.6.2.7 | A.6.2 | AI system technical documentation | Decide which technical documentation each group of interested parties needs and give it to them.
control* | A.6.2.8 | A.6.2 | AI system recording of event logs | Decide at which life-cycle stages event logging is enabled, at least while the system is in use.
objective | A.7 | - | Data for AI systems | The role and effects of data in AI systems are understood and managed over the life cycle.
control* | A.7.2 | A.7 | Data for development and enhancement of AI system | Define, document and run data management processes for developing AI systems.
control* | A.7.3 | A.7 | Acquisition of data | Define and document how data is acquired and selected.
control* | A.7.4 | A.7 | Quality of data for AI systems | Define and document data quality requirements and make sure the data used meets them.
control* | A.7.5 | A.7 | Data provenance | Define and document how the provenance of data is recorded over the data and system life cycles.
control* | A.7.6 | A.7 | Data preparation | Define and document the criteria for selecting data preparations and the methods used.
objective | A.8 | - | Information for interested parties of AI systems | Interested parties have the information they need to understand and assess the risks and impacts.
control* | A.8.2 | A.8 | System documentation and information for users | Identify and provide the information users need about the AI system.
control* | A.8.3 | A.8 | External reporting | Give interested parties a way to report adverse impacts of the system.
control* | A.8.4 | A.8 | Communication of incidents | Plan how incidents are communicated to users of the system.
control* | A.8.5 | A.8 | Information for interested parties | Decide and document the duties to report information about the AI system to interested parties.
objective | A.9 | - | Use of AI systems | The organisation uses AI systems responsibly and according to its policies.
control* | A.9.2 | A.9 | Processes for responsible use of AI systems | Define and document processes for the responsible use of AI systems.
control* | A.9.3 | A.9 | Objectives for responsible use of AI system | Identify and document objectives that guide responsible use.
control* | A.9.4 | A.9 | Intended use of the AI system | Make sure the AI system is used as intended and as its documentation says.
objective | A.10 | - | Third-party and customer relationships | Responsibilities and accountability are understood when third parties take part in the AI life cycle.
control* | A.10.2 | A.10 | Allocating responsibilities | Allocate responsibilities between the organisation, its partners, suppliers, customers and third parties.
control* | A.10.3 | A.10 | Suppliers | Make sure services, products or materials from suppliers fit the organisation's approach to responsible AI.
control* | A.10.4 | A.10 | Customers | Make sure the organisation's approach to responsible AI takes customers' expectations and needs into account.
`
