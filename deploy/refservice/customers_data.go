package refservice

import (
	"fmt"
	"strings"
)

// Customer segments of the CRM.
const (
	segmentEnterprise = "enterprise"
	segmentMidMarket  = "mid_market"
	segmentSMB        = "smb"
)

// customer is one account of the CRM.
type customer struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Segment        string  `json:"segment"`
	Industry       string  `json:"industry"`
	Country        string  `json:"country"`
	City           string  `json:"city"`
	ContactName    string  `json:"contact_name"`
	ContactEmail   string  `json:"contact_email"`
	AccountManager string  `json:"account_manager"`
	AnnualRevenue  float64 `json:"annual_revenue"`
	Currency       string  `json:"currency"`
	CustomerSince  string  `json:"customer_since"`
}

// seedCustomers returns the 25 customers CUS-3001 to CUS-3025. Purchase orders and
// invoices refer to them by id.
func seedCustomers() []customer {
	accounts := []struct {
		name, industry, country, city, first, last, domain string
	}{
		{"Nordwind Logistics GmbH", "Logistics", "DE", "Hamburg", "Anna", "Becker", "nordwind-logistics"},
		{"Bluepeak Analytics Ltd", "Software", "GB", "London", "James", "Whitfield", "bluepeak"},
		{"Solenne Cosmetics SAS", "Consumer goods", "FR", "Lyon", "Claire", "Dubois", "solenne"},
		{"Ferrovia Components S.p.A.", "Manufacturing", "IT", "Turin", "Marco", "Rinaldi", "ferrovia"},
		{"Kestrel Health B.V.", "Healthcare", "NL", "Utrecht", "Sanne", "de Vries", "kestrelhealth"},
		{"Almendro Foods S.L.", "Food and beverage", "ES", "Valencia", "Lucía", "Navarro", "almendro"},
		{"Vantaa Timber Oy", "Construction materials", "FI", "Vantaa", "Mikko", "Virtanen", "vantaatimber"},
		{"Harbourline Shipping A/S", "Logistics", "DK", "Aarhus", "Freja", "Madsen", "harbourline"},
		{"Quellwerk Energie AG", "Energy", "DE", "Stuttgart", "Jonas", "Hartmann", "quellwerk"},
		{"Lumen & Vale Architects", "Professional services", "IE", "Dublin", "Aoife", "Brennan", "lumenvale"},
		{"Brennero Motors S.r.l.", "Automotive", "IT", "Bolzano", "Giulia", "Ferraro", "brenneromotors"},
		{"Silverbirch Retail AB", "Retail", "SE", "Gothenburg", "Erik", "Lindqvist", "silverbirch"},
		{"Cascais Hospitality Lda", "Hospitality", "PT", "Cascais", "Inês", "Carvalho", "cascaishospitality"},
		{"Oakridge Pharma GmbH", "Pharmaceuticals", "AT", "Vienna", "Lukas", "Gruber", "oakridgepharma"},
		{"Trifolium Agritech N.V.", "Agriculture", "BE", "Ghent", "Pieter", "Claes", "trifolium"},
		{"Pixelmoor Studios Ltd", "Media", "GB", "Manchester", "Olivia", "Hughes", "pixelmoor"},
		{"Danubia Steelworks Kft.", "Manufacturing", "HU", "Győr", "Bence", "Kovács", "danubiasteel"},
		{"Marlowe Insurance Brokers Ltd", "Financial services", "IE", "Cork", "Ciarán", "Doyle", "marlowe"},
		{"Wisła Data Systems Sp. z o.o.", "Software", "PL", "Kraków", "Katarzyna", "Nowak", "wisladata"},
		{"Elbe Chemie GmbH", "Chemicals", "DE", "Dresden", "Felix", "Neumann", "elbechemie"},
		{"Fjellro Outdoor AS", "Retail", "NO", "Bergen", "Ingrid", "Solberg", "fjellro"},
		{"Aurelia Fashion House S.r.l.", "Fashion", "IT", "Milan", "Chiara", "Colombo", "aureliafashion"},
		{"Porto Tiles & Ceramics Lda", "Manufacturing", "PT", "Porto", "Tiago", "Moreira", "portotiles"},
		{"Zephyr Wind Services ApS", "Energy", "DK", "Esbjerg", "Mads", "Kristensen", "zephyrwind"},
		{"Montclair Education SAS", "Education", "FR", "Bordeaux", "Julien", "Moreau", "montclair"},
	}
	managers := []string{
		"lena.hoffmann@your-domain.com",
		"tom.okafor@your-domain.com",
		"sofia.marino@your-domain.com",
		"daniel.weiss@your-domain.com",
	}
	since := day(2016, 3, 1)

	customers := make([]customer, len(accounts))
	for i, a := range accounts {
		segment, revenue := segmentAndRevenue(i)
		customers[i] = customer{
			ID:             fmt.Sprintf("CUS-%d", 3001+i),
			Name:           a.name,
			Segment:        segment,
			Industry:       a.industry,
			Country:        a.country,
			City:           a.city,
			ContactName:    a.first + " " + a.last,
			ContactEmail:   emailLocal(a.first) + "." + emailLocal(a.last) + "@" + a.domain + ".example",
			AccountManager: managers[i%len(managers)],
			AnnualRevenue:  revenue.euros(),
			Currency:       currency,
			CustomerSince:  isoDate(since.AddDate(0, 0, i*127)),
		}
	}
	return customers
}

// segmentAndRevenue gives customer i its segment and an annual revenue that fits it:
// 5 enterprise, 10 mid-market and 10 small businesses.
func segmentAndRevenue(i int) (string, cents) {
	const million = 100_000_000 // in cents
	switch i % 5 {
	case 0:
		return segmentEnterprise, cents(300+i*37) * million
	case 1, 3:
		return segmentMidMarket, cents(12_000+i*4_130) * million / 1000
	default:
		return segmentSMB, cents(800+i*230) * million / 1000
	}
}

// emailLocal turns a name into the local part of a mail address: lower case ASCII, no
// spaces or accents, as the contacts' mail servers spell them.
func emailLocal(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case strings.ContainsRune("áàâä", r):
			b.WriteRune('a')
		case strings.ContainsRune("éèêë", r):
			b.WriteRune('e')
		case strings.ContainsRune("íìîï", r):
			b.WriteRune('i')
		case strings.ContainsRune("óòôöő", r):
			b.WriteRune('o')
		case strings.ContainsRune("úùûüű", r):
			b.WriteRune('u')
		}
	}
	return b.String()
}
