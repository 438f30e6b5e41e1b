package agent_test

import (
	"context"
	"sync"
	"testing"

	"github.com/tillsync/tillsync/agent"
)

// centralStub answers the till's online calls from a table. It stands in
// for central over MQTT, which the end-to-end tests run for real
// (scripts/e2e); here it pins down the till's decisions: central's answer
// wins when it comes, the offline bound when it does not.
type centralStub struct {
	mu        sync.Mutex
	available int64 // what central lets the card redeem
	down      bool  // no answer: EUNAVAILABLE
	members   map[string]*agent.Member
	asked     map[string]int64 // reservation id → points last asked
}

func (c *centralStub) AuthorizeRedeem(_ context.Context, card string, points int64, reservationID string) (agent.RedeemAuthorization, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return agent.RedeemAuthorization{}, agent.Errorf(agent.EUNAVAILABLE, "central did not answer")
	}
	if c.asked == nil {
		c.asked = map[string]int64{}
	}
	c.asked[reservationID] = points
	return agent.RedeemAuthorization{Approved: points <= c.available, Available: c.available}, nil
}

func (c *centralStub) LookupMember(_ context.Context, card string) (*agent.Member, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return nil, agent.Errorf(agent.EUNAVAILABLE, "central did not answer")
	}
	if m, ok := c.members[card]; ok {
		return m, nil
	}
	return nil, agent.Errorf(agent.ENOTFOUND, "unknown card")
}

func TestTill_OnlineRedemption(t *testing.T) {
	ctx := context.Background()

	t.Run("CentralRefusesWhatTheOfflineBoundAllows", func(t *testing.T) {
		f := newTill(t)
		stub := &centralStub{available: 200} // spent at another store meanwhile
		f.till.Online = stub
		b := f.scan(t, "lane-1", cardGold, "4006381333931")
		_, err := f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderPoints, Points: 300})
		wantCode(t, err, agent.ECONFLICT)
		must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderPoints, Points: 200}))
		if got := stub.asked[b.ID]; got != 200 {
			t.Errorf("reservation for basket %s holds %d points; want 200", b.ID, got)
		}
	})
	t.Run("CentralApprovesPastTheDailyCap", func(t *testing.T) {
		f := newTill(t)
		f.till.Online = &centralStub{available: 1000}
		f.scan(t, "lane-1", cardGold, "4006381333931", "4006381333931") // 6000 fen
		// The offline cap is 500; central knows the member has 1000.
		must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderPoints, Points: 800}))
		must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderCash, AmountFen: 5200}))
		r := must[*agent.Receipt](t)(f.till.Commit(ctx, "lane-1"))
		if r.PointsRedeemed != 800 {
			t.Errorf("redeemed %d; want 800", r.PointsRedeemed)
		}
	})
	t.Run("CentralSilentFallsBackToOfflineBound", func(t *testing.T) {
		f := newTill(t)
		f.till.Online = &centralStub{available: 1000, down: true}
		f.scan(t, "lane-1", cardGold, "4006381333931", "4006381333931")
		_, err := f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderPoints, Points: 600})
		wantCode(t, err, agent.ECONFLICT) // the offline cap of 500
		must[*agent.Basket](t)(f.till.AddTender(ctx, "lane-1", agent.Tender{Kind: agent.TenderPoints, Points: 500}))
	})
	t.Run("UnknownCardFromCentral", func(t *testing.T) {
		f := newTill(t)
		f.till.Online = &centralStub{members: map[string]*agent.Member{
			cardNew: {Card: cardNew, MemberID: "m-9", MaskedName: "赵*", Tier: "silver", Balance: 50},
		}}
		b := f.scan(t, "lane-1", cardNew)
		if b.Member == nil || b.Member.MemberID != "m-9" {
			t.Fatalf("basket member = %+v; want central's m-9", b.Member)
		}
		f.till.Online = &centralStub{members: map[string]*agent.Member{
			cardNew: {Card: cardNew, Blocked: true, BlockReason: "reported stolen"},
		}}
		_, _, err := f.till.Scan(ctx, "lane-2", cardNew)
		wantCode(t, err, agent.ECONFLICT)
	})
}
