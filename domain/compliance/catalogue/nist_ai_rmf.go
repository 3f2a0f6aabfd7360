package catalogue

import "github.com/astrabastion/astra/domain/compliance"

// nistAIRMF is the NIST AI Risk Management Framework 1.0 (NIST AI 100-1,
// January 2023): 4 functions, 19 categories, 72 subcategories. Categories and
// subcategories have no official title; ours are short labels.
func nistAIRMF() compliance.Framework {
	return compliance.Framework{ID: NISTAIRMF, Name: "NIST AI Risk Management Framework", Version: "1.0", Publisher: "National Institute of Standards and Technology",
		Source: "https://doi.org/10.6028/NIST.AI.100-1", Kind: compliance.KindBuiltin, Scale: compliance.Percent, Requirements: table(aiRMFTable)}
}

const aiRMFTable = `
function | GOVERN | - | Govern | Build a culture, structures and policies for managing AI risk across the organisation; it informs the other three functions.
category | GOVERN 1 | GOVERN | Policies and processes | Policies, processes and practices for mapping, measuring and managing AI risk exist, are transparent and work.
subcategory* | GOVERN 1.1 | GOVERN 1 | Legal requirements | Laws and regulations that apply to the organisation's AI are known, managed and documented.
subcategory* | GOVERN 1.2 | GOVERN 1 | Trustworthiness in policy | The characteristics of trustworthy AI are written into policies, processes and practices.
subcategory* | GOVERN 1.3 | GOVERN 1 | Level of effort by risk | Processes decide how much risk management an AI system needs, based on the organisation's risk tolerance.
subcategory* | GOVERN 1.4 | GOVERN 1 | Transparent risk process | The risk management process and its outcomes rest on transparent policies, procedures and controls set by priority.
subcategory* | GOVERN 1.5 | GOVERN 1 | Monitoring and review | Ongoing monitoring and periodic review of the risk process are planned, with roles and review frequency defined.
subcategory* | GOVERN 1.6 | GOVERN 1 | AI inventory | There are means to keep an inventory of AI systems, resourced according to priority.
subcategory* | GOVERN 1.7 | GOVERN 1 | Safe decommissioning | Processes retire and phase out AI systems safely, without raising risk or harming trust.
category | GOVERN 2 | GOVERN | Accountability structures | Teams and people are empowered, responsible and trained to map, measure and manage AI risk.
subcategory* | GOVERN 2.1 | GOVERN 2 | Roles documented | Roles, responsibilities and communication lines for AI risk are documented and clear across the organisation.
subcategory* | GOVERN 2.2 | GOVERN 2 | Risk training | Staff and partners receive AI risk management training suited to their duties.
subcategory* | GOVERN 2.3 | GOVERN 2 | Executive responsibility | Executive leadership takes responsibility for decisions about the risks of developing and deploying AI.
category | GOVERN 3 | GOVERN | Diversity and inclusion | Workforce diversity, equity, inclusion and accessibility are given priority in AI risk work throughout the life cycle.
subcategory* | GOVERN 3.1 | GOVERN 3 | Diverse teams decide | Decisions about mapping, measuring and managing AI risk are informed by a team of diverse backgrounds and skills.
subcategory* | GOVERN 3.2 | GOVERN 3 | Human-AI roles | Policies define roles for human oversight of AI systems and human-AI configurations.
category | GOVERN 4 | GOVERN | Risk culture | Teams are committed to a culture that considers and communicates AI risk.
subcategory* | GOVERN 4.1 | GOVERN 4 | Safety-first mindset | Policies encourage critical thinking and a safety-first attitude when designing, building, deploying and using AI.
subcategory* | GOVERN 4.2 | GOVERN 4 | Impacts documented | Teams record the risks and possible impacts of the AI they build or use and share them widely.
subcategory* | GOVERN 4.3 | GOVERN 4 | Testing and incident sharing | Practices make AI testing, incident identification and information sharing possible.
category | GOVERN 5 | GOVERN | Engagement with AI actors | Processes ensure real engagement with relevant AI actors.
subcategory* | GOVERN 5.1 | GOVERN 5 | External feedback | Feedback from people outside the team about individual and societal impacts is collected, weighed and acted on.
subcategory* | GOVERN 5.2 | GOVERN 5 | Feedback into design | Mechanisms regularly feed decided-upon feedback from relevant AI actors into system design and implementation.
category | GOVERN 6 | GOVERN | Third-party risk | Policies and procedures address risks and benefits from third-party software, data and other supply chain issues.
subcategory* | GOVERN 6.1 | GOVERN 6 | Third-party policies | Policies cover AI risks of third-party entities, including infringement of intellectual property and other rights.
subcategory* | GOVERN 6.2 | GOVERN 6 | Third-party contingencies | Contingency processes handle failures or incidents in third-party data or AI systems judged high-risk.
function | MAP | - | Map | Establish the context of an AI system so that its risks can be identified and framed.
category | MAP 1 | MAP | Context | The context of use is established and understood.
subcategory* | MAP 1.1 | MAP 1 | Purpose and setting | Intended purposes, beneficial uses, applicable laws and norms, expectations and deployment settings are understood and documented.
subcategory* | MAP 1.2 | MAP 1 | Interdisciplinary context | The people who set the context are interdisciplinary, competent and diverse, and their participation is documented.
subcategory* | MAP 1.3 | MAP 1 | Mission alignment | The organisation's mission and goals for the AI technology are understood and documented.
subcategory* | MAP 1.4 | MAP 1 | Business value | The business value or context of use is clearly defined, or re-examined for an existing system.
subcategory* | MAP 1.5 | MAP 1 | Risk tolerance | The organisation's risk tolerances are set and documented.
subcategory* | MAP 1.6 | MAP 1 | System requirements | System requirements are gathered from and understood by relevant AI actors, and design choices consider socio-technical effects.
category | MAP 2 | MAP | Categorisation | The AI system is categorised.
subcategory* | MAP 2.1 | MAP 2 | Tasks and methods | The tasks the system performs and the methods used to perform them are defined.
subcategory* | MAP 2.2 | MAP 2 | Knowledge limits | The system's knowledge limits, and how humans may use and oversee its output, are documented.
subcategory* | MAP 2.3 | MAP 2 | Scientific integrity | Scientific integrity and test, evaluation, verification and validation (TEVV) considerations are identified and documented.
category | MAP 3 | MAP | Capabilities, benefits and costs | Capabilities, intended use, goals and expected benefits and costs are understood against appropriate benchmarks.
subcategory* | MAP 3.1 | MAP 3 | Benefits | The possible benefits of the intended functionality are examined and documented.
subcategory* | MAP 3.2 | MAP 3 | Costs of errors | The possible costs, monetary or not, of expected or actual AI errors are examined and documented.
subcategory* | MAP 3.3 | MAP 3 | Application scope | The targeted scope of application is set and documented from what the system can do.
subcategory* | MAP 3.4 | MAP 3 | Operator proficiency | Processes for the proficiency of operators and practitioners are defined, assessed and documented.
subcategory* | MAP 3.5 | MAP 3 | Human oversight processes | Processes for human oversight are defined, assessed and documented in line with governance policies.
category | MAP 4 | MAP | Component risks | Risks and benefits are mapped for every component, third-party software and data included.
subcategory* | MAP 4.1 | MAP 4 | Legal risk of components | Approaches to map technology and legal risks of components, including third-party data and software, are followed and documented.
subcategory* | MAP 4.2 | MAP 4 | Component controls | Internal risk controls for components, third-party AI technology included, are identified and documented.
category | MAP 5 | MAP | Impacts | Impacts on individuals, groups, communities, organisations and society are characterised.
subcategory* | MAP 5.1 | MAP 5 | Likelihood and magnitude | The likelihood and magnitude of each identified impact, beneficial or harmful, are identified and documented.
subcategory* | MAP 5.2 | MAP 5 | Engagement on impacts | Practices and people for regular engagement with relevant AI actors, and for acting on their feedback about impacts, are in place and documented.
function | MEASURE | - | Measure | Analyse, assess, benchmark and monitor AI risk and its effects with quantitative and qualitative methods.
category | MEASURE 1 | MEASURE | Methods and metrics | Suitable methods and metrics are identified and applied.
subcategory* | MEASURE 1.1 | MEASURE 1 | Metrics selected | Metrics for the risks found while mapping are chosen, most significant first; risks left unmeasured are documented.
subcategory* | MEASURE 1.2 | MEASURE 1 | Metrics reassessed | Whether the metrics fit and the controls work is reassessed regularly, including reports of errors and effects on affected communities.
subcategory* | MEASURE 1.3 | MEASURE 1 | Independent assessors | Internal experts who did not build the system, or independent assessors, take part in regular assessments.
category | MEASURE 2 | MEASURE | Trustworthiness evaluated | AI systems are evaluated for the characteristics of trustworthiness.
subcategory* | MEASURE 2.1 | MEASURE 2 | TEVV documented | Test sets, metrics and tools used in TEVV are documented.
subcategory* | MEASURE 2.2 | MEASURE 2 | Human-subject evaluations | Evaluations involving people meet the applicable requirements, including protection of subjects, and are representative.
subcategory* | MEASURE 2.3 | MEASURE 2 | Performance demonstrated | Performance or assurance criteria are measured and shown to hold under conditions like deployment.
subcategory* | MEASURE 2.4 | MEASURE 2 | Production monitoring | The behaviour of the system and its components is monitored in production.
subcategory* | MEASURE 2.5 | MEASURE 2 | Validity and reliability | The system is shown to be valid and reliable; the limits of its generalisation are documented.
subcategory* | MEASURE 2.6 | MEASURE 2 | Safety | Safety risks are evaluated regularly; residual risk stays within tolerance and the system can fail safely.
subcategory* | MEASURE 2.7 | MEASURE 2 | Security and resilience | Security and resilience are evaluated and documented.
subcategory* | MEASURE 2.8 | MEASURE 2 | Transparency and accountability | Risks tied to transparency and accountability are examined and documented.
subcategory* | MEASURE 2.9 | MEASURE 2 | Explainability | The model is explained, validated and documented, and its output interpreted within its context.
subcategory* | MEASURE 2.10 | MEASURE 2 | Privacy | Privacy risk is examined and documented.
subcategory* | MEASURE 2.11 | MEASURE 2 | Fairness and bias | Fairness and bias are evaluated and the results documented.
subcategory* | MEASURE 2.12 | MEASURE 2 | Environmental impact | The environmental impact and sustainability of training and running models are assessed and documented.
subcategory* | MEASURE 2.13 | MEASURE 2 | TEVV effectiveness | How well the TEVV metrics and processes work is evaluated and documented.
category | MEASURE 3 | MEASURE | Risk tracking | Mechanisms track identified AI risks over time.
subcategory* | MEASURE 3.1 | MEASURE 3 | Emerging risks tracked | Approaches, people and documentation regularly find and track existing, unexpected and emerging risks.
subcategory* | MEASURE 3.2 | MEASURE 3 | Hard-to-measure risks | Risk tracking is considered where current measurement techniques cannot assess the risk well.
subcategory* | MEASURE 3.3 | MEASURE 3 | User feedback and appeal | End users and affected communities can report problems and appeal outcomes, and this feeds the evaluation metrics.
category | MEASURE 4 | MEASURE | Measurement efficacy | Feedback about how well measurement works is gathered and assessed.
subcategory* | MEASURE 4.1 | MEASURE 4 | Context-connected measurement | Measurement approaches are tied to the deployment context and informed by domain experts and users.
subcategory* | MEASURE 4.2 | MEASURE 4 | Results validated in context | Trustworthiness results in deployment and over the life cycle are checked with domain experts and relevant AI actors.
subcategory* | MEASURE 4.3 | MEASURE 4 | Performance change recorded | Measurable improvements or declines in performance are identified and documented from consultations and field data.
function | MANAGE | - | Manage | Allocate resources to mapped and measured risks and act on them: respond, recover and communicate.
category | MANAGE 1 | MANAGE | Prioritised response | Risks found in mapping and measuring are prioritised, answered and managed.
subcategory* | MANAGE 1.1 | MANAGE 1 | Go or no-go | It is decided whether the system meets its purpose and whether development or deployment should go on.
subcategory* | MANAGE 1.2 | MANAGE 1 | Treatment prioritised | Treatment of documented risks is ranked by impact, likelihood and available resources.
subcategory* | MANAGE 1.3 | MANAGE 1 | High-priority responses | Responses to high-priority risks (mitigate, transfer, avoid, accept) are developed, planned and documented.
subcategory* | MANAGE 1.4 | MANAGE 1 | Residual risk documented | Remaining negative risk to downstream acquirers and end users is documented.
category | MANAGE 2 | MANAGE | Benefits and harms | Strategies to maximise benefits and minimise harm are planned, prepared, implemented and documented with input from relevant AI actors.
subcategory* | MANAGE 2.1 | MANAGE 2 | Resources and alternatives | The resources needed to manage risk are considered, together with viable non-AI alternatives.
subcategory* | MANAGE 2.2 | MANAGE 2 | Sustained value | Mechanisms keep deployed systems delivering their value.
subcategory* | MANAGE 2.3 | MANAGE 2 | Unknown risks | Procedures respond to and recover from a risk that was not known before.
subcategory* | MANAGE 2.4 | MANAGE 2 | Disengage or deactivate | Mechanisms and named people can supersede, disengage or deactivate a system that behaves outside its intended use.
category | MANAGE 3 | MANAGE | Third-party risk managed | Risks and benefits from third parties are managed.
subcategory* | MANAGE 3.1 | MANAGE 3 | Third-party resources monitored | Risks and benefits of third-party resources are monitored regularly and controls applied and documented.
subcategory* | MANAGE 3.2 | MANAGE 3 | Pre-trained models monitored | Pre-trained models used in development are monitored as part of regular maintenance.
category | MANAGE 4 | MANAGE | Treatment, response and communication | Risk treatments, including response, recovery and communication plans, are documented and monitored regularly.
subcategory* | MANAGE 4.1 | MANAGE 4 | Post-deployment monitoring plan | Post-deployment monitoring plans run, covering user input, appeal and override, decommissioning, incident response, recovery and change management.
subcategory* | MANAGE 4.2 | MANAGE 4 | Continual improvement | Measurable improvement activities are part of system updates and involve interested parties regularly.
subcategory* | MANAGE 4.3 | MANAGE 4 | Incidents communicated | Incidents and errors are communicated to relevant AI actors, affected communities included, and handled by documented processes.
`
