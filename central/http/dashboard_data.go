package http

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
)

// overviewData is the overview page: the chain at a glance.
type overviewData struct {
	StoresOnline, StoresOffline int
	Sales, TotalFen             int64
	Stores                      []storeRow
	Chart                       barChart
	Agents                      []agentLag
}

// storeRow is one store: its sales and whether any of its agents is
// connected. A store whose agents never reported presence is offline.
type storeRow struct {
	StoreID              string
	Online               bool
	AgentsOnline, Agents int
	Sales, TotalFen      int64
}

// agentLag is one agent's connection and how far behind it is (DESIGN §5
// rule 3): what it reported unsynced in its latest birth or death.
type agentLag struct {
	central.Presence
	// Lag is now minus the oldest unsynced event's wall time, to the
	// second; 0 when nothing is waiting.
	Lag time.Duration
	// ClockSkewMS is the presence's clock skew in milliseconds.
	ClockSkewMS int64
}

// overview loads the overview page from SalesByStore and Presence.
func (s *Server) overview(r *http.Request) (any, error) {
	ctx := r.Context()
	sales, err := s.store.SalesByStore(ctx)
	if err != nil {
		return nil, err
	}
	presence, err := s.store.Presence(ctx)
	if err != nil {
		return nil, err
	}
	now := s.dash.now()
	d := overviewData{Stores: mergeStores(sales, presence)}
	for _, st := range d.Stores {
		if st.Online {
			d.StoresOnline++
		} else {
			d.StoresOffline++
		}
		d.Sales += st.Sales
		d.TotalFen += st.TotalFen
	}
	d.Chart = salesChart(d.Stores)
	for _, p := range presence {
		a := agentLag{Presence: p, ClockSkewMS: p.ClockSkew.Milliseconds()}
		if !p.OldestUnsynced.IsZero() {
			a.Lag = now.Sub(p.OldestUnsynced).Truncate(time.Second)
		}
		d.Agents = append(d.Agents, a)
	}
	return d, nil
}

// mergeStores joins each store's sales with its agents' presence, ordered
// by store id; a store in either list is in the result.
func mergeStores(sales []central.StoreSales, presence []central.Presence) []storeRow {
	byID := map[string]*storeRow{}
	row := func(id string) *storeRow {
		if byID[id] == nil {
			byID[id] = &storeRow{StoreID: id}
		}
		return byID[id]
	}
	for _, ss := range sales {
		r := row(ss.StoreID)
		r.Sales, r.TotalFen = ss.Sales, ss.TotalFen
	}
	for _, p := range presence {
		r := row(p.StoreID)
		r.Agents++
		if p.Online {
			r.AgentsOnline++
			r.Online = true
		}
	}
	out := make([]storeRow, 0, len(byID))
	for _, r := range byID {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b storeRow) int { return strings.Compare(a.StoreID, b.StoreID) })
	return out
}

// storesData is the stores page: presence and how much of each agent's
// journal central holds.
type storesData struct {
	Stores []storeRow
	Agents []agentJournal
}

// agentJournal is one agent's sync status as AgentSync reports it.
type agentJournal struct {
	central.AgentSync
	Missing          uint64 // seqs ≤ MaxSeq not stored
	MaxClockSkewMS   int64
	Online, Presence bool // Presence: the agent has reported any
}

func (s *Server) storesPage(r *http.Request) (any, error) {
	ctx := r.Context()
	sales, err := s.store.SalesByStore(ctx)
	if err != nil {
		return nil, err
	}
	presence, err := s.store.Presence(ctx)
	if err != nil {
		return nil, err
	}
	agents, err := s.store.Agents(ctx)
	if err != nil {
		return nil, err
	}
	online := map[string]bool{}
	for _, p := range presence {
		online[p.AgentID] = p.Online
	}
	d := storesData{Stores: mergeStores(sales, presence)}
	for _, a := range agents {
		on, seen := online[a.AgentID]
		d.Agents = append(d.Agents, agentJournal{AgentSync: a, Missing: a.MaxSeq - uint64(a.Events),
			MaxClockSkewMS: a.MaxClockSkew.Milliseconds(), Online: on, Presence: seen})
	}
	return d, nil
}

// memberData is the member lookup page: the form, and after a POST the
// card's balance with the card masked.
type memberData struct {
	Searched   bool
	MaskedCard string
	Balance    central.Balance
	// Member is the member master's record of the card, nil when it has
	// none; its personal fields stay sealed.
	Member *central.Member
	// CanReveal: the user holds RoleMemberData and central has the keys.
	CanReveal bool
	// Personal is the opened personal data, set only when a CanReveal
	// user asked for it.
	Personal *syncproto.PersonalData
}

// maxCardLen bounds the card field; card numbers are far shorter.
const maxCardLen = 64

// memberLookup answers the member search. The card arrives in a POST body,
// never in the URL (DESIGN §8.5: URLs end up in proxy and browser logs).
func (s *Server) memberLookup(r *http.Request) (any, error) {
	user := pageUser(r)
	d := memberData{CanReveal: s.dash.memberKeys.Active() != "" && s.dash.users.HasRole(user, RoleMemberData)}
	if r.Method != http.MethodPost {
		return d, nil
	}
	card := strings.TrimSpace(r.PostFormValue("card"))
	d.Searched, d.MaskedCard = true, central.MaskCard(card)
	if card == "" || len(card) > maxCardLen {
		return d, central.Errorf(central.EINVALID, "enter a card number of at most %d characters", maxCardLen)
	}
	p, ok := s.store.(PointsReader)
	if !ok {
		return d, central.Errorf(central.EUNAVAILABLE, "this store keeps no points ledger")
	}
	b, err := p.Balance(r.Context(), card, s.dash.now())
	if err != nil && central.ErrorCode(err) != central.ENOTFOUND {
		return d, err
	}
	d.Balance = b
	ms, ok := s.store.(central.MemberStore)
	if !ok {
		return d, err
	}
	m, merr := ms.MemberByCard(r.Context(), card)
	switch {
	case merr == nil:
		d.Member = &m
	case central.ErrorCode(merr) != central.ENOTFOUND:
		return d, merr
	case err != nil:
		return d, err // neither points nor a member
	}
	if r.PostFormValue("reveal") == "" || d.Member == nil {
		return d, nil
	}
	if !d.CanReveal {
		return d, central.Errorf(central.EINVALID, "your login may not open members' personal data")
	}
	pd, err := m.OpenPersonal(s.dash.memberKeys)
	if err != nil {
		return d, err
	}
	// An audit line: who opened whose data, never the data.
	s.dash.logger.Info("member personal data opened", "user", user, "member", m.ID, "card", d.MaskedCard)
	d.Personal = &pd
	return d, nil
}
