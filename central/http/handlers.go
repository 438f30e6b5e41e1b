package http

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/tillsync/tillsync/central"
)

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	s.writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type storeSalesJSON struct {
	StoreID   string `json:"store_id"`
	Sales     int64  `json:"sales"`
	TotalFen  int64  `json:"total_fen"`
	TotalYuan string `json:"total_yuan"`
}

func (s *Server) handleSalesByStore(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.writeError(w, r, central.Errorf(central.EINVALID, "format %q: use json or csv", format))
		return
	}
	rows, err := s.store.SalesByStore(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" {
		s.writeSalesCSV(w, rows)
		return
	}
	out := struct {
		Stores []storeSalesJSON `json:"stores"`
	}{Stores: []storeSalesJSON{}}
	for _, row := range rows {
		out.Stores = append(out.Stores, storeSalesJSON{row.StoreID, row.Sales, row.TotalFen, central.FormatFen(row.TotalFen)})
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) writeSalesCSV(w http.ResponseWriter, rows []central.StoreSales) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="sales-by-store.csv"`)
	cw := csv.NewWriter(w)
	records := [][]string{{"store_id", "sales", "total_fen", "total_yuan"}}
	for _, row := range rows {
		records = append(records, []string{row.StoreID, strconv.FormatInt(row.Sales, 10),
			strconv.FormatInt(row.TotalFen, 10), central.FormatFen(row.TotalFen)})
	}
	if err := cw.WriteAll(records); err != nil {
		s.logger.Warn("write csv", "err", err)
	}
}

type saleJSON struct {
	SaleID           string         `json:"sale_id"`
	AgentID          string         `json:"agent_id"`
	Seq              uint64         `json:"seq"`
	StoreID          string         `json:"store_id"`
	LaneID           string         `json:"lane_id"`
	ReceiptNo        string         `json:"receipt_no"`
	TotalFen         int64          `json:"total_fen"`
	MemberCardMasked string         `json:"member_card_masked,omitempty"`
	AgentWallTime    time.Time      `json:"agent_wall_time"`
	ReceivedAt       time.Time      `json:"received_at"`
	Lines            []saleLineJSON `json:"lines"`
}

type saleLineJSON struct {
	LineNo        int    `json:"line_no"`
	SKU           string `json:"sku"`
	Barcode       string `json:"barcode"`
	Name          string `json:"name"`
	QuantityMilli int64  `json:"quantity_milli"`
	UnitPriceFen  int64  `json:"unit_price_fen"`
	LineTotalFen  int64  `json:"line_total_fen"`
}

func (s *Server) handleSale(w http.ResponseWriter, r *http.Request) {
	sale, err := s.store.Sale(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := saleJSON{
		SaleID: sale.ID, AgentID: sale.AgentID, Seq: sale.Seq, StoreID: sale.StoreID, LaneID: sale.LaneID,
		ReceiptNo: sale.ReceiptNo, TotalFen: sale.TotalFen, MemberCardMasked: central.MaskCard(sale.MemberCard),
		AgentWallTime: sale.AgentWallTime, ReceivedAt: sale.ReceivedAt, Lines: []saleLineJSON{},
	}
	for _, l := range sale.Lines {
		out.Lines = append(out.Lines, saleLineJSON{l.No, l.SKU, l.Barcode, l.Name, l.QuantityMilli, l.UnitPriceFen, l.LineTotalFen})
	}
	s.writeJSON(w, http.StatusOK, out)
}

type agentJSON struct {
	AgentID           string    `json:"agent_id"`
	StoreID           string    `json:"store_id"`
	Events            int64     `json:"events"`
	MaxSeq            uint64    `json:"max_seq"`
	ContiguousThrough uint64    `json:"contiguous_through"`
	Missing           uint64    `json:"missing"` // seqs ≤ max_seq not stored
	LastReceivedAt    time.Time `json:"last_received_at"`
	MaxClockSkewMS    int64     `json:"max_clock_skew_ms"`
}

func (s *Server) handleAgents(w http.ResponseWriter, r *http.Request) {
	agents, err := s.store.Agents(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Agents []agentJSON `json:"agents"`
	}{Agents: []agentJSON{}}
	for _, a := range agents {
		out.Agents = append(out.Agents, agentJSON{
			AgentID: a.AgentID, StoreID: a.StoreID, Events: a.Events, MaxSeq: a.MaxSeq,
			ContiguousThrough: a.ContiguousThrough, Missing: a.MaxSeq - uint64(a.Events),
			LastReceivedAt: a.LastReceivedAt, MaxClockSkewMS: a.MaxClockSkew.Milliseconds(),
		})
	}
	s.writeJSON(w, http.StatusOK, out)
}

type quarantinedJSON struct {
	AgentID    string    `json:"agent_id"`
	StoreID    string    `json:"store_id"`
	Seq        uint64    `json:"seq"`
	EventID    string    `json:"event_id"`
	Reason     string    `json:"reason"`
	ReceivedAt time.Time `json:"received_at"`
}

// maxQuarantineLimit bounds one page of the quarantine list.
const maxQuarantineLimit = 1000

func (s *Server) handleQuarantine(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxQuarantineLimit {
			s.writeError(w, r, central.Errorf(central.EINVALID, "limit %q: use 1 to %d", v, maxQuarantineLimit))
			return
		}
		limit = n
	}
	events, err := s.store.Quarantined(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Events []quarantinedJSON `json:"events"`
	}{Events: []quarantinedJSON{}}
	for _, q := range events {
		out.Events = append(out.Events, quarantinedJSON{q.AgentID, q.StoreID, q.Seq, q.EventID, q.Reason, q.ReceivedAt})
	}
	s.writeJSON(w, http.StatusOK, out)
}
