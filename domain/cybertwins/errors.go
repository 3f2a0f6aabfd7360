package cybertwins

import "errors"

// Sentinel errors of CyberTwins.
var (
	ErrAssetNotFound        = errors.New("cybertwins: asset not found")
	ErrInvalidAsset         = errors.New("cybertwins: invalid asset")
	ErrRelationshipNotFound = errors.New("cybertwins: relationship not found")
	ErrInvalidRelationship  = errors.New("cybertwins: invalid relationship")
	ErrAssetInUse           = errors.New("cybertwins: asset has relationships")
	ErrComputationNotFound  = errors.New("cybertwins: attack path computation not found")
	ErrInvalidQuery         = errors.New("cybertwins: invalid query")
	ErrCampaignNotFound     = errors.New("cybertwins: campaign not found")
	ErrInvalidCampaign      = errors.New("cybertwins: invalid campaign")
	ErrCatalogueUnavailable = errors.New("cybertwins: ATLAS catalogue unavailable")
	ErrInvalidImport        = errors.New("cybertwins: invalid import")
)
