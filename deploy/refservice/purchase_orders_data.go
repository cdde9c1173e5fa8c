package refservice

import (
	"fmt"
	"time"
)

// Statuses of a purchase order, in the order an order moves through them.
const (
	poDraft     = "draft"
	poOpen      = "open"
	poApproved  = "approved"
	poReceived  = "received"
	poCancelled = "cancelled"
)

// purchaseOrder is an order we placed with a supplier for goods or services bought on
// behalf of a customer; the invoices to that customer refer to it by id.
type purchaseOrder struct {
	ID                   string   `json:"id"`
	Status               string   `json:"status"`
	SupplierID           string   `json:"supplier_id"`
	Supplier             string   `json:"supplier"`
	CustomerID           string   `json:"customer_id"`
	RequestedBy          string   `json:"requested_by"`
	CostCenter           string   `json:"cost_center"`
	OrderDate            string   `json:"order_date"`
	ExpectedDeliveryDate string   `json:"expected_delivery_date"`
	ReceivedDate         *string  `json:"received_date"`
	Currency             string   `json:"currency"`
	Lines                []poLine `json:"lines"`
	NetAmount            float64  `json:"net_amount"`
	TaxAmount            float64  `json:"tax_amount"`
	TotalAmount          float64  `json:"total_amount"`

	// Kept for the invoices billed against the order.
	net     cents
	ordered time.Time
}

// poLine is one line of a purchase order.
type poLine struct {
	SKU         string  `json:"sku"`
	Description string  `json:"description"`
	Quantity    int     `json:"quantity"`
	UnitPrice   float64 `json:"unit_price"`
	Amount      float64 `json:"amount"`
}

// supplier is a vendor and the three things we buy from it.
type supplier struct {
	id, name string
	catalog  [3]catalogItem
}

type catalogItem struct {
	sku, description string
	price            cents
	batch            int // ordered in multiples of batch, as buyers do
}

// poSuppliers are the suppliers the reference purchase orders buy from, with what each sells.
func poSuppliers() []supplier {
	return []supplier{
		{"SUP-101", "Nordlicht Office Supplies GmbH", [3]catalogItem{
			{"NOS-PAP-A4", "A4 copy paper 80 g/m², box of 5 reams", 2495, 10},
			{"NOS-CHR-ERG", "Ergonomic office chair", 18900, 2},
			{"NOS-MRK-12", "Whiteboard markers, pack of 12", 1450, 5},
		}},
		{"SUP-102", "Atlas Industrial Parts B.V.", [3]catalogItem{
			{"AIP-BLT-M8", "Stainless steel hex bolts M8, box of 200", 3820, 10},
			{"AIP-HOS-12", "Hydraulic hose assembly 1/2 inch", 6475, 4},
			{"AIP-BRG-6204", "Ball bearing 6204-2RS", 890, 20},
		}},
		{"SUP-103", "Brightwave Electronics Ltd", [3]catalogItem{
			{"BWE-MON-27", "27-inch IPS monitor", 22900, 2},
			{"BWE-DCK-USBC", "USB-C docking station", 17950, 2},
			{"BWE-KBM-WL", "Wireless keyboard and mouse set", 5490, 5},
		}},
		{"SUP-104", "Cobalt Logistics SAS", [3]catalogItem{
			{"CBL-FRT-PAL", "Pallet freight, Lyon to Hamburg", 42000, 1},
			{"CBL-EXP-SD", "Express courier, same day", 8500, 1},
			{"CBL-STO-PAL", "Warehouse storage, per pallet and month", 1800, 10},
		}},
		{"SUP-105", "Verde Packaging S.L.", [3]catalogItem{
			{"VPK-BOX-40", "Corrugated shipping box 40x30x30, bundle of 50", 3150, 10},
			{"VPK-BUB-50", "Recycled bubble wrap roll, 50 m", 2275, 5},
			{"VPK-FLM-6", "Pallet stretch film, 6 rolls", 4590, 5},
		}},
		{"SUP-106", "Helix Software AG", [3]catalogItem{
			{"HLX-LIC-12M", "Analytics platform licence, 12 months", 120000, 1},
			{"HLX-IMP-DAY", "Implementation services, per day", 95000, 1},
			{"HLX-SUP-12M", "Premium support, 12 months", 48000, 1},
		}},
		{"SUP-107", "Granite Furniture Oy", [3]catalogItem{
			{"GRF-DSK-HA", "Height-adjustable desk", 54900, 2},
			{"GRF-TBL-8", "Meeting table, 8 seats", 129000, 1},
			{"GRF-ACP-01", "Acoustic wall panel", 16500, 4},
		}},
		{"SUP-108", "Polar Cleaning Services AB", [3]catalogItem{
			{"PCS-OFC-MON", "Office cleaning, monthly", 210000, 1},
			{"PCS-WIN-QTR", "Window cleaning, quarterly", 68000, 1},
			{"PCS-CRP-DEEP", "Deep carpet cleaning", 45000, 1},
		}},
	}
}

// seedPurchaseOrders returns the 45 purchase orders PO-1001 to PO-1045, each bought for
// one of customers.
func seedPurchaseOrders(customers []customer) []purchaseOrder {
	suppliers := poSuppliers()
	// Per nine orders: three received, two approved, two open, one draft, one cancelled.
	statuses := []string{poReceived, poApproved, poOpen, poReceived, poDraft, poApproved, poReceived, poCancelled, poOpen}
	buyers := []string{
		"maria.lopez@your-domain.com",
		"peter.jansen@your-domain.com",
		"akira.sato@your-domain.com",
		"nina.kowalski@your-domain.com",
		"omar.haddad@your-domain.com",
	}
	costCenters := []string{"CC-100 Operations", "CC-200 IT", "CC-300 Facilities", "CC-400 Sales", "CC-500 Projects"}
	firstOrder := day(2025, 1, 6)

	orders := make([]purchaseOrder, 45)
	for i := range orders {
		sup := suppliers[(i*3)%len(suppliers)]
		ordered := firstOrder.AddDate(0, 0, i*5)
		expected := ordered.AddDate(0, 0, 14+(i%4)*7)
		status := statuses[i%len(statuses)]

		lines, net := poLines(sup, i)
		var received *string
		if status == poReceived {
			received = isoDatePtr(expected.AddDate(0, 0, i%3))
		}
		orders[i] = purchaseOrder{
			ID:                   fmt.Sprintf("PO-%d", 1001+i),
			Status:               status,
			SupplierID:           sup.id,
			Supplier:             sup.name,
			CustomerID:           customers[(i*7)%len(customers)].ID,
			RequestedBy:          buyers[i%len(buyers)],
			CostCenter:           costCenters[(i/2)%len(costCenters)],
			OrderDate:            isoDate(ordered),
			ExpectedDeliveryDate: isoDate(expected),
			ReceivedDate:         received,
			Currency:             currency,
			Lines:                lines,
			NetAmount:            net.euros(),
			TaxAmount:            vat(net).euros(),
			TotalAmount:          (net + vat(net)).euros(),
			net:                  net,
			ordered:              ordered,
		}
	}
	return orders
}

// poLines returns the lines of the i-th purchase order, bought from sup, and their net total.
func poLines(sup supplier, i int) ([]poLine, cents) {
	var lines []poLine
	var net cents
	for j := range 1 + i%3 {
		item := sup.catalog[(i+j)%len(sup.catalog)]
		qty := item.batch * (1 + (i*7+j*3+i/5)%9)
		amount := item.price * cents(qty)
		net += amount
		lines = append(lines, poLine{
			SKU:         item.sku,
			Description: item.description,
			Quantity:    qty,
			UnitPrice:   item.price.euros(),
			Amount:      amount.euros(),
		})
	}
	return lines, net
}
