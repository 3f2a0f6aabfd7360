package oscal

// The subset of the OSCAL 1.x catalog model the import keeps. JSON tags follow
// the OSCAL JSON format; the XML reader fills the same structures.

type catalog struct {
	UUID       string      `json:"uuid"`
	Metadata   *metadata   `json:"metadata"`
	Params     []param     `json:"params"`
	Controls   []control   `json:"controls"`
	Groups     []group     `json:"groups"`
	BackMatter *backMatter `json:"back-matter"`
}

type metadata struct {
	Title              string             `json:"title"`
	Version            string             `json:"version"`
	OSCALVersion       string             `json:"oscal-version"`
	Published          string             `json:"published"`
	LastModified       string             `json:"last-modified"`
	Props              []prop             `json:"props"`
	Links              []link             `json:"links"`
	Parties            []party            `json:"parties"`
	ResponsibleParties []responsibleParty `json:"responsible-parties"`
}

type party struct {
	UUID      string `json:"uuid"`
	Type      string `json:"type"`
	Name      string `json:"name"`
	ShortName string `json:"short-name"`
}

type responsibleParty struct {
	RoleID     string   `json:"role-id"`
	PartyUUIDs []string `json:"party-uuids"`
}

type link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

type prop struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	NS    string `json:"ns"`
	Class string `json:"class"`
}

// catalogNode is what a group and a control of a catalog both hold.
type catalogNode struct {
	ID     string  `json:"id"`
	Class  string  `json:"class"`
	Title  string  `json:"title"`
	Params []param `json:"params"`
	Props  []prop  `json:"props"`
	Links  []link  `json:"links"`
	Parts  []part  `json:"parts"`
}

type group struct {
	catalogNode
	Groups   []group   `json:"groups"`
	Controls []control `json:"controls"`
}

type control struct {
	catalogNode
	Controls []control `json:"controls"`
}

type param struct {
	ID         string      `json:"id"`
	Class      string      `json:"class"`
	Props      []prop      `json:"props"`
	Label      string      `json:"label"`
	Usage      string      `json:"usage"`
	Guidelines []guideline `json:"guidelines"`
	Values     []string    `json:"values"`
	Select     *selection  `json:"select"`
}

type guideline struct {
	Prose string `json:"prose"`
}

type selection struct {
	HowMany string   `json:"how-many"`
	Choice  []string `json:"choice"`
}

type part struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	NS    string `json:"ns"`
	Class string `json:"class"`
	Title string `json:"title"`
	Props []prop `json:"props"`
	Prose string `json:"prose"`
	Parts []part `json:"parts"`
}

type backMatter struct {
	Resources []resource `json:"resources"`
}

type resource struct {
	UUID   string `json:"uuid"`
	Title  string `json:"title"`
	RLinks []struct {
		Href string `json:"href"`
	} `json:"rlinks"`
}
