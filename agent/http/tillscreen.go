package http

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/tillsync/tillsync/agent"
	"github.com/tillsync/tillsync/syncproto"
)

// tillScreenFS holds the till screen's page template, style sheet and
// script: no build step, nothing fetched from outside the agent.
//
//go:embed tillscreen
var tillScreenFS embed.FS

var tillScreenPage = template.Must(template.ParseFS(tillScreenFS, "tillscreen/till.html"))

// tillScreenRoutes serves the built-in till screen: GET /till/{lane} is
// the page for one lane (?lang=zh|en, else Accept-Language), GET
// /till/{lane}/panel the member panel's points as JSON, and
// /tillscreen/ the page's assets. Without a till it adds nothing.
func (s *Server) tillScreenRoutes(mux *http.ServeMux) {
	if s.till == nil || s.hub == nil {
		return
	}
	assets, err := fs.Sub(tillScreenFS, "tillscreen")
	if err != nil {
		panic(fmt.Sprintf("till screen assets: %v", err)) // the embed names this directory
	}
	mux.Handle("GET /tillscreen/", http.StripPrefix("/tillscreen/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /till/{lane}", s.handleTillScreen)
	mux.HandleFunc("GET /till/{lane}/panel", s.handleTillPanel)
}

// screenConfig is what the page's script is given: JSON, encoded by
// html/template inside the page's <script>.
type screenConfig struct {
	Lane     string            `json:"lane"`
	Lang     string            `json:"lang"`
	Messages map[string]string `json:"messages"`
	// WarnAfterSeconds: the banner turns urgent once the oldest unsynced
	// sale is older than the policy's offline_warn_after_hours (0: never).
	WarnAfterSeconds int64 `json:"warn_after_seconds"`
	// StatusEveryMS is how often the page polls /v1/status.
	StatusEveryMS int64 `json:"status_every_ms"`
}

type screenReward struct {
	ID     string
	Name   string
	Points int64
}

type screenPage struct {
	Lane    string
	Lang    string
	Other   string // the other language, for the switch link
	M       map[string]string
	Rewards []screenReward
	Config  screenConfig
}

func (s *Server) handleTillScreen(w http.ResponseWriter, r *http.Request) {
	lane := r.PathValue("lane")
	if err := s.checkScreenLane(r.Context(), lane); err != nil {
		s.writeError(w, r, err)
		return
	}
	lang := screenLang(r)
	page := screenPage{Lane: lane, Lang: lang, Other: otherLang(lang), M: screenMessages[lang],
		Config: screenConfig{Lane: lane, Lang: lang, Messages: screenMessages[lang], StatusEveryMS: 3000}}
	p, err := s.till.Store.CurrentPolicy(r.Context())
	switch {
	case err == nil:
		for _, rw := range p.Rewards {
			page.Rewards = append(page.Rewards, screenReward{rw.ID, rw.Name, rw.Points})
		}
		page.Config.WarnAfterSeconds = int64(p.OfflineWarnAfterHours) * 3600
	case agent.ErrorCode(err) != agent.ENOTFOUND && agent.ErrorCode(err) != agent.EUNAVAILABLE:
		s.writeError(w, r, fmt.Errorf("till screen policy: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", lang)
	if err := tillScreenPage.Execute(w, page); err != nil {
		// Headers are sent; the cashier sees a cut page and reloads.
		s.logger.Error("till screen render", "lane", lane, "err", err)
	}
}

// checkScreenLane returns an ENOTFOUND error for a lane this agent does
// not run: an id that is not a valid lane id, or, when devices are
// configured, a lane none of them belongs to that has no open basket
// either (a lane driven only through the API has one while it sells).
func (s *Server) checkScreenLane(ctx context.Context, lane string) error {
	if err := syncproto.ValidID(lane); err != nil {
		return agent.Errorf(agent.ENOTFOUND, "lane %q is not a lane of this store", lane)
	}
	if s.devices == nil {
		return nil
	}
	devs := s.devices.Status()
	if len(devs) == 0 {
		return nil
	}
	for _, d := range devs {
		if d.Lane == lane {
			return nil
		}
	}
	_, err := s.till.Store.Basket(ctx, lane)
	switch {
	case agent.ErrorCode(err) == agent.ENOTFOUND:
		return agent.Errorf(agent.ENOTFOUND, "lane %q is not a lane of this store: no device is configured for it", lane)
	case err != nil:
		return fmt.Errorf("till screen lane %s: %w", lane, err)
	}
	return nil
}

// panelJSON is the member panel: what the receipt would show of the
// member's points, and the points the open basket would earn now.
type panelJSON struct {
	Member         *memberJSON `json:"member,omitempty"`
	PhoneLast4     string      `json:"phone_last4,omitempty"`
	Points         *pointsJSON `json:"points,omitempty"`
	PointsThisSale int64       `json:"points_this_sale"`
	RewardPoints   int64       `json:"reward_points"`
	// A points tender is a whole number of these units.
	TenderPoints int64 `json:"points_tender_points"`
	TenderFen    int64 `json:"points_tender_fen"`
}

func (s *Server) handleTillPanel(w http.ResponseWriter, r *http.Request) {
	lane := r.PathValue("lane")
	b, err := s.till.Basket(r.Context(), lane)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.tillPanel(r.Context(), b, s.till.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// tillPanel computes the panel of basket b as of now.
func (s *Server) tillPanel(ctx context.Context, b *agent.Basket, now time.Time) (panelJSON, error) {
	st := s.till.Store
	p, err := st.CurrentPolicy(ctx)
	if err != nil {
		return panelJSON{}, err
	}
	pb := agent.PriceBasket(b)
	out := panelJSON{RewardPoints: pb.RewardPoints, TenderPoints: p.PointsTenderPoints, TenderFen: p.PointsTenderFen}
	if b.Card == "" {
		return out, nil
	}
	bj := toBasketJSON(b)
	out.Member = bj.Member
	in := agent.EarnInput{At: now}
	if b.Member != nil {
		out.PhoneLast4 = b.Member.PhoneLast4
		in.Tier, in.Staff = b.Member.Tier, b.Member.Staff
	}
	for _, l := range pb.Lines {
		in.Lines = append(in.Lines, agent.EarnLine{SKU: l.SKU, Category: l.Category, AmountFen: l.LineTotalFen,
			Eligible: l.PointsEligible, Multiplier: l.PointsMultiplier})
	}
	for _, t := range b.Tenders {
		if t.Kind == agent.TenderPoints {
			in.PointsTenderFen += t.AmountFen
		}
	}
	out.PointsThisSale = p.Earn(in).Points
	// The member's points as the store knows them: central's last
	// snapshot with the store's entries since replayed on top.
	m, err := st.MemberByCard(ctx, b.Card)
	if err != nil && agent.ErrorCode(err) != agent.ENOTFOUND {
		return panelJSON{}, fmt.Errorf("look up card %s: %w", agent.MaskCard(b.Card), err)
	}
	if err != nil {
		m = nil
	}
	wlt := agent.NewWallet(m)
	local, err := st.LocalEntries(ctx, b.Card)
	if err != nil {
		return panelJSON{}, fmt.Errorf("points of card %s: %w", agent.MaskCard(b.Card), err)
	}
	for _, e := range local {
		if err := wlt.Apply(e); err != nil {
			return panelJSON{}, fmt.Errorf("replay points of card %s: %w", agent.MaskCard(b.Card), err)
		}
	}
	out.Points = &pointsJSON{Balance: wlt.Balance(now), Available: wlt.Available(now), Pending: wlt.Pending(now)}
	return out, nil
}
