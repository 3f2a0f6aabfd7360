package catalogue

import (
	"strconv"
	"strings"

	"github.com/astrabastion/astra/domain/compliance"
)

// Mappings returns the built-in cross-framework mappings. Each says that
// meeting a requirement of one framework satisfies (strength 1) or partly
// satisfies (strength in (0,1)) a requirement of another. They are our own
// judgement from reading both texts, kept to pairs we are confident of: the
// strengths are estimates of overlap, not an official crosswalk, and a
// missing pair means "not mapped", not "unrelated".
func Mappings() []compliance.Mapping {
	var out []compliance.Mapping
	for _, line := range strings.Split(mappingTable, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " | ")
		if len(f) != 6 {
			panic("catalogue: malformed mapping: " + line)
		}
		strength, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			panic("catalogue: malformed mapping strength: " + line)
		}
		rel := compliance.PartiallySatisfies
		if strength == 1 {
			rel = compliance.Satisfies
		}
		out = append(out, compliance.Mapping{From: ref(f[0], f[1]), To: ref(f[2], f[3]), Relation: rel, Strength: strength, Rationale: f[5]})
	}
	return out
}

var mappingAliases = map[string]string{
	"27001": ISO27001, "42001": ISO42001, "csf": NISTCSF, "rmf": NISTAIRMF, "soc2": SOC2, "aiact": EUAIAct, "gdpr": GDPR, "owasp": OWASPLLM,
}

func ref(alias, id string) compliance.Ref {
	fw, ok := mappingAliases[alias]
	if !ok {
		panic("catalogue: unknown framework alias " + alias)
	}
	return compliance.Ref{Framework: fw, Requirement: id}
}

// mappingTable: from framework | requirement | to framework | requirement | strength | rationale.
const mappingTable = `
# ISO/IEC 27001:2022 Annex A → NIST CSF 2.0
27001 | A.5.1 | csf | GV.PO-01 | 0.8 | Both require an approved, communicated security policy; the CSF also ties it to strategy and enforcement.
27001 | A.5.2 | csf | GV.RR-02 | 0.8 | Security roles and responsibilities are defined and assigned.
27001 | A.5.7 | csf | ID.RA-02 | 0.8 | Producing threat intelligence includes receiving it from sharing sources.
27001 | A.5.9 | csf | ID.AM-01 | 0.7 | An asset inventory with owners covers hardware.
27001 | A.5.9 | csf | ID.AM-02 | 0.7 | An asset inventory with owners covers software, services and systems.
27001 | A.5.15 | csf | PR.AA-05 | 0.7 | Access rules based on business and security needs; the CSF names least privilege and separation of duties.
27001 | A.5.16 | csf | PR.AA-01 | 0.8 | Managing the identity life cycle.
27001 | A.5.18 | csf | PR.AA-05 | 0.7 | Access rights granted, reviewed and removed by policy.
27001 | A.5.20 | csf | GV.SC-05 | 0.8 | Security requirements agreed in supplier agreements.
27001 | A.5.22 | csf | GV.SC-07 | 0.7 | Supplier security is monitored and reviewed over the relationship.
27001 | A.5.24 | csf | ID.IM-04 | 0.6 | Incident management is planned and prepared; the CSF also asks for other operational plans.
27001 | A.5.25 | csf | DE.AE-08 | 0.8 | Events are assessed and declared incidents against criteria.
27001 | A.5.26 | csf | RS.MA-01 | 0.7 | Incidents are answered by documented procedures; the CSF stresses coordination with third parties.
27001 | A.5.28 | csf | RS.AN-07 | 0.8 | Evidence is collected and preserved.
27001 | A.5.30 | csf | PR.IR-03 | 0.5 | ICT continuity readiness is one way to meet resilience requirements.
27001 | A.5.31 | csf | GV.OC-03 | 0.9 | Legal, regulatory and contractual requirements are identified and managed.
27001 | A.6.3 | csf | PR.AT-01 | 0.9 | Security awareness and training for all staff.
27001 | A.6.3 | csf | PR.AT-02 | 0.5 | Training extends to specialised roles only where the programme covers them.
27001 | A.7.2 | csf | PR.AA-06 | 0.7 | Physical entry controls manage physical access.
27001 | A.7.4 | csf | DE.CM-02 | 0.8 | Premises are monitored for physical intrusion.
27001 | A.8.6 | csf | PR.IR-04 | 1 | Capacity is monitored and adjusted to keep services available.
27001 | A.8.8 | csf | ID.RA-01 | 0.8 | Technical vulnerabilities are identified and evaluated.
27001 | A.8.9 | csf | PR.PS-01 | 1 | Configuration management is established and applied.
27001 | A.8.13 | csf | PR.DS-11 | 1 | Backups are made, protected and tested.
27001 | A.8.14 | csf | PR.IR-03 | 0.6 | Redundancy is one mechanism for resilience.
27001 | A.8.15 | csf | PR.PS-04 | 0.9 | Logs are produced, protected and analysed.
27001 | A.8.16 | csf | DE.CM-01 | 0.7 | Networks are monitored for anomalous behaviour.
27001 | A.8.16 | csf | DE.CM-09 | 0.7 | Systems and applications are monitored for anomalous behaviour.
27001 | A.8.19 | csf | PR.PS-05 | 0.6 | Controlled installation on operational systems keeps unauthorised software out of them.
27001 | A.8.20 | csf | PR.IR-01 | 0.7 | Networks are secured against unauthorised logical access.
27001 | A.8.24 | csf | PR.DS-01 | 0.5 | Cryptography protects confidentiality and integrity of stored data, not its availability.
27001 | A.8.24 | csf | PR.DS-02 | 0.5 | Cryptography protects confidentiality and integrity of data in transit, not its availability.
27001 | A.8.25 | csf | PR.PS-06 | 0.8 | Secure development rules are applied through the life cycle.
27001 | A.8.32 | csf | ID.RA-07 | 0.6 | Changes go through change management; the CSF also covers exceptions.
# ISO/IEC 27001:2022 Annex A → SOC 2 TSC
27001 | A.5.1 | soc2 | CC5.3 | 0.6 | Policies state what is expected; SOC 2 also asks for procedures that put them into action.
27001 | A.5.12 | soc2 | C1.1 | 0.6 | Classification identifies confidential information.
27001 | A.5.16 | soc2 | CC6.2 | 0.7 | Identities are registered and authorised before credentials are issued.
27001 | A.5.18 | soc2 | CC6.3 | 0.8 | Access rights are granted, changed and removed by role.
27001 | A.5.19 | soc2 | CC9.2 | 0.7 | Supplier security risks are managed.
27001 | A.5.25 | soc2 | CC7.3 | 0.8 | Security events are evaluated to decide whether they are incidents.
27001 | A.5.26 | soc2 | CC7.4 | 0.8 | Incidents are answered by a defined response.
27001 | A.5.30 | soc2 | A1.3 | 0.6 | ICT continuity readiness is tested.
27001 | A.6.4 | soc2 | CC1.5 | 0.5 | A disciplinary process is one way to hold people accountable.
27001 | A.7.2 | soc2 | CC6.4 | 0.8 | Physical access to facilities is restricted.
27001 | A.7.14 | soc2 | CC6.5 | 0.8 | Data is removed before equipment is disposed of or re-used.
27001 | A.8.6 | soc2 | A1.1 | 0.9 | Capacity is monitored and planned.
27001 | A.8.7 | soc2 | CC6.8 | 0.8 | Malware is prevented and detected.
27001 | A.8.8 | soc2 | CC7.1 | 0.7 | Vulnerabilities are identified; SOC 2 also looks for risky configuration changes.
27001 | A.8.10 | soc2 | C1.2 | 0.7 | Information no longer needed is deleted.
27001 | A.8.13 | soc2 | A1.2 | 0.5 | Backups are part of the recovery infrastructure.
27001 | A.8.16 | soc2 | CC7.2 | 0.9 | Systems are monitored for anomalies.
27001 | A.8.20 | soc2 | CC6.6 | 0.6 | Network security protects against threats from outside the boundary.
27001 | A.8.24 | soc2 | CC6.7 | 0.5 | Encryption protects information in transit.
27001 | A.8.32 | soc2 | CC8.1 | 0.9 | Changes are controlled from request to deployment.
# NIST CSF 2.0 → SOC 2 TSC
csf | GV.SC-07 | soc2 | CC9.2 | 0.8 | Supplier risks are assessed and managed over the relationship.
csf | ID.RA-01 | soc2 | CC7.1 | 0.6 | Vulnerabilities are identified and recorded.
csf | PR.AA-06 | soc2 | CC6.4 | 0.9 | Physical access is restricted and monitored.
csf | PR.IR-04 | soc2 | A1.1 | 0.8 | Capacity is maintained for availability.
csf | PR.DS-11 | soc2 | A1.2 | 0.5 | Backups are part of the recovery infrastructure.
csf | DE.CM-01 | soc2 | CC7.2 | 0.6 | Networks are monitored for anomalies.
csf | RS.MA-01 | soc2 | CC7.4 | 0.7 | Incidents are answered by executing a response plan.
csf | RC.RP-01 | soc2 | CC7.5 | 0.7 | Recovery is carried out from the response plan.
# NIST AI RMF 1.0 → ISO/IEC 42001 Annex A
rmf | GOVERN 1.2 | 42001 | A.2.2 | 0.6 | Trustworthy-AI characteristics belong in the AI policy.
rmf | GOVERN 1.5 | 42001 | A.2.4 | 0.5 | Periodic review of the risk process includes the policy it rests on.
rmf | GOVERN 2.1 | 42001 | A.3.2 | 1 | AI roles and responsibilities are defined and documented.
rmf | GOVERN 2.2 | 42001 | A.4.6 | 0.4 | Training builds the competences the human resources documentation names.
rmf | GOVERN 6.1 | 42001 | A.10.3 | 0.7 | Third-party AI risks are governed by policy.
rmf | MAP 1.1 | 42001 | A.9.4 | 0.5 | Documented intended purposes are the basis for checking intended use.
rmf | MAP 1.6 | 42001 | A.6.2.2 | 0.8 | System requirements are gathered and documented.
rmf | MAP 2.2 | 42001 | A.8.2 | 0.5 | Knowledge limits and oversight needs are part of what users must be told.
rmf | MAP 5.1 | 42001 | A.5.2 | 0.6 | Impacts are identified with likelihood and magnitude.
rmf | MAP 5.1 | 42001 | A.5.4 | 0.6 | Impacts on individuals and groups are assessed.
rmf | MAP 5.1 | 42001 | A.5.5 | 0.6 | Societal impacts are assessed.
rmf | MEASURE 2.1 | 42001 | A.6.2.4 | 0.6 | Test sets, metrics and tools of verification and validation are documented.
rmf | MEASURE 2.4 | 42001 | A.6.2.6 | 0.7 | The system is monitored in operation.
rmf | MEASURE 3.3 | 42001 | A.8.3 | 0.7 | Affected people can report adverse impacts.
rmf | MANAGE 3.1 | 42001 | A.10.3 | 0.6 | Third-party resources are monitored against the organisation's approach.
rmf | MANAGE 4.1 | 42001 | A.6.2.6 | 0.6 | Post-deployment monitoring plans cover operation and monitoring.
rmf | MANAGE 4.3 | 42001 | A.8.4 | 0.8 | Incidents are communicated to those affected.
# ISO/IEC 42001 Annex A → EU AI Act
42001 | A.4.6 | aiact | Art. 4 | 0.3 | Documented competences support, but do not prove, AI literacy.
42001 | A.5.4 | aiact | Art. 27 | 0.5 | An impact assessment on individuals covers much of a fundamental rights impact assessment, not the notification.
42001 | A.6.1.3 | aiact | Art. 17 | 0.3 | Documented design and development processes are one part of the quality management system.
42001 | A.6.2.6 | aiact | Art. 72 | 0.4 | Operational monitoring feeds post-market monitoring; the Act adds a formal plan.
42001 | A.6.2.7 | aiact | Art. 11 | 0.5 | Technical documentation is kept; the Act fixes its minimum content in Annex IV.
42001 | A.6.2.8 | aiact | Art. 12 | 0.6 | Event logging is enabled while the system is in use.
42001 | A.7.4 | aiact | Art. 10 | 0.5 | Data quality requirements are set and met; the Act adds bias examination and representativeness.
42001 | A.7.5 | aiact | Art. 10 | 0.3 | Data provenance is one of the governance practices the Act lists.
42001 | A.8.2 | aiact | Art. 13 | 0.6 | Users receive the information they need; the Act prescribes instructions for use.
42001 | A.8.4 | aiact | Art. 73 | 0.3 | Incident communication exists, but the Act requires reports to authorities within deadlines.
42001 | A.9.4 | aiact | Art. 26 | 0.4 | Use as intended and documented is the first of the deployer's duties.
# NIST AI RMF 1.0 → EU AI Act
rmf | GOVERN 2.2 | aiact | Art. 4 | 0.5 | AI risk training contributes to AI literacy.
rmf | MAP 3.5 | aiact | Art. 14 | 0.5 | Human oversight processes are defined and assessed.
rmf | MAP 5.1 | aiact | Art. 27 | 0.4 | Impacts on people are characterised before use.
rmf | MEASURE 2.7 | aiact | Art. 15 | 0.5 | Security and resilience are evaluated.
rmf | MEASURE 2.11 | aiact | Art. 10 | 0.3 | Bias evaluation is one of the data governance duties.
rmf | MANAGE 2.4 | aiact | Art. 14 | 0.4 | The ability to disengage or deactivate a system is part of human oversight.
rmf | MANAGE 4.1 | aiact | Art. 72 | 0.6 | A post-deployment monitoring plan is in place.
rmf | MANAGE 4.3 | aiact | Art. 73 | 0.4 | Incidents are communicated; the Act requires reports to authorities within deadlines.
# OWASP Top 10 for LLM Applications 2025 → EU AI Act
owasp | LLM04:2025 | aiact | Art. 15 | 0.3 | Art. 15 names data and model poisoning among the attacks to resist.
owasp | LLM01:2025 | aiact | Art. 15 | 0.2 | Prompt injection is a kind of adversarial input Art. 15 asks systems to resist.
# SOC 2 privacy criteria and ISO/IEC 27001 → GDPR
soc2 | P1.1 | gdpr | Art. 13 | 0.6 | A privacy notice covers much of the information owed at collection.
soc2 | P2.1 | gdpr | Art. 7 | 0.5 | Choices and consent are communicated and recorded.
soc2 | P5.1 | gdpr | Art. 15 | 0.7 | Data subjects can see their data.
soc2 | P5.2 | gdpr | Art. 16 | 0.7 | Data subjects can have their data corrected.
soc2 | P6.4 | gdpr | Art. 28 | 0.4 | Third parties commit to privacy practices; the GDPR prescribes the processor contract.
soc2 | P6.6 | gdpr | Art. 33 | 0.5 | Breaches are notified to regulators; the GDPR sets a 72-hour deadline.
soc2 | P6.6 | gdpr | Art. 34 | 0.6 | Breaches are notified to affected people.
27001 | A.5.26 | gdpr | Art. 33 | 0.3 | A documented incident response is the basis for timely breach notification.
`
