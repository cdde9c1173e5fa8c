package refservice

import "net/http"

// purchaseOrderAPI is the business API of a PurchaseOrders service.
type purchaseOrderAPI struct {
	orders []purchaseOrder
}

// list serves GET /api/purchase-orders?status=&supplier=&page=&per_page=.
func (a purchaseOrderAPI) list(w http.ResponseWriter, r *http.Request, _ TokenInfo) {
	serveList(w, r, a.orders, []string{"status", "supplier"}, func(q listQuery) (func(purchaseOrder) bool, error) {
		status, err := q.oneOf("status", poDraft, poOpen, poApproved, poReceived, poCancelled)
		if err != nil {
			return nil, err
		}
		supplier := q.text("supplier")
		return func(po purchaseOrder) bool {
			return (status == "" || po.Status == status) && containsFold(po.Supplier, supplier)
		}, nil
	})
}

// get serves GET /api/purchase-orders/{id}.
func (a purchaseOrderAPI) get(w http.ResponseWriter, r *http.Request, _ TokenInfo) {
	serveOne(w, r, a.orders, func(po purchaseOrder) string { return po.ID }, "purchase order")
}
