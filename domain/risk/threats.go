package risk

// Threat is a catalogue entry. IDs and names are the published ones; the
// descriptions are our own summaries.
type Threat struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Framework   string `json:"framework"`
	Description string `json:"description"`
}

// Catalogue lists the built-in threats: the OWASP Top 10 for LLM
// Applications (2025) and a selection of MITRE ATLAS techniques.
var Catalogue = []Threat{
	{"LLM01:2025", "Prompt Injection", "OWASP LLM Top 10", "Inputs that steer the model away from its instructions, directly or through content it reads."},
	{"LLM02:2025", "Sensitive Information Disclosure", "OWASP LLM Top 10", "The model or its application reveals personal, proprietary or secret data."},
	{"LLM03:2025", "Supply Chain", "OWASP LLM Top 10", "Compromised models, datasets, adapters or dependencies enter the system."},
	{"LLM04:2025", "Data and Model Poisoning", "OWASP LLM Top 10", "Training, fine-tuning or embedding data is manipulated to plant behaviour."},
	{"LLM05:2025", "Improper Output Handling", "OWASP LLM Top 10", "Model output is passed downstream without validation, enabling injection into other systems."},
	{"LLM06:2025", "Excessive Agency", "OWASP LLM Top 10", "Agents hold more tools, permissions or autonomy than their task needs."},
	{"LLM07:2025", "System Prompt Leakage", "OWASP LLM Top 10", "Instructions or secrets placed in the system prompt are extracted."},
	{"LLM08:2025", "Vector and Embedding Weaknesses", "OWASP LLM Top 10", "Retrieval stores leak across tenants or are manipulated to steer answers."},
	{"LLM09:2025", "Misinformation", "OWASP LLM Top 10", "Confident but false output is relied upon for decisions."},
	{"LLM10:2025", "Unbounded Consumption", "OWASP LLM Top 10", "Uncontrolled usage drains budgets, degrades service or enables model extraction."},
	{"AML.T0051", "LLM Prompt Injection", "MITRE ATLAS", "An adversary crafts prompts that make the model ignore or replace its instructions."},
	{"AML.T0054", "LLM Jailbreak", "MITRE ATLAS", "An adversary bypasses the model's safety restrictions, often by role-play or obfuscation."},
	{"AML.T0056", "Extract LLM System Prompt", "MITRE ATLAS", "An adversary recovers the hidden instructions given to the model."},
	{"AML.T0057", "LLM Data Leakage", "MITRE ATLAS", "An adversary gets the model to reveal data from its context, memory or training."},
	{"AML.T0053", "LLM Plugin Compromise", "MITRE ATLAS", "An adversary abuses tools or plugins the model can call to act beyond its intended scope."},
	{"AML.T0043", "Craft Adversarial Data", "MITRE ATLAS", "An adversary builds inputs designed to make a model err."},
	{"AML.T0020", "Poison Training Data", "MITRE ATLAS", "An adversary inserts data that changes what a model learns."},
	{"AML.T0024", "Exfiltration via AI Inference API", "MITRE ATLAS", "An adversary queries a model to extract information about it or its data."},
	{"AML.T0029", "Denial of AI Service", "MITRE ATLAS", "An adversary floods or overloads an AI service to degrade it."},
	{"AML.T0034", "Cost Harvesting", "MITRE ATLAS", "An adversary drives up the victim's inference costs."},
	{"AML.T0010", "AI Supply Chain Compromise", "MITRE ATLAS", "An adversary compromises models, data or software the AI system depends on."},
	{"AML.T0040", "AI Model Inference API Access", "MITRE ATLAS", "An adversary gains access to the model through its inference interface."},
}
