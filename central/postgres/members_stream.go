package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tillsync/tillsync/central"
	"github.com/tillsync/tillsync/syncproto"
	"google.golang.org/protobuf/proto"
)

var (
	_ central.MemberSource = (*DB)(nil)
	_ central.EnrollBlocks = (*DB)(nil)
)

// MemberStores implements central.MemberSource.
func (db *DB) MemberStores(ctx context.Context) ([]string, error) {
	out, err := db.queryStrings(ctx, `SELECT store_id FROM agents UNION SELECT store_id FROM presence ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("read member stores: %w", err)
	}
	return out, nil
}

// StoreMembers implements central.MemberSource.
func (db *DB) StoreMembers(ctx context.Context, store string) (*central.StoreMembers, error) {
	agents, err := db.storeAgentCuts(ctx, store)
	if err != nil {
		return nil, err
	}
	sm := &central.StoreMembers{Store: store, Agents: agents}
	enrolled, err := db.storeEnrollments(ctx, store)
	if err != nil {
		return nil, err
	}
	cards, err := db.queryStrings(ctx, `SELECT DISTINCT card FROM points_entries WHERE store_id = $1`, store)
	if err != nil {
		return nil, fmt.Errorf("read cards of store %s: %w", store, err)
	}
	for c := range enrolled {
		cards = append(cards, c)
	}
	slices.Sort(cards)
	for _, card := range slices.Compact(cards) {
		mc := enrolled[card]
		mc.Card = card
		var member string
		err := db.pool.QueryRow(ctx, `SELECT COALESCE((SELECT member_id FROM points_cards WHERE card = $1), '')`,
			card).Scan(&member)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("read card %s: %w", central.MaskCard(card), err)
		}
		// The tier and the master's display data ride in the member
		// record, so a change makes a new version of the store's stream
		// (RefreshStoreMembers diffs).
		d, err := cardDisplay(ctx, db.pool, card)
		if err != nil {
			return nil, err
		}
		mc.Apply(d)
		if member != "" {
			mc.MemberID = member
		}
		if mc.Entries, err = queryEntries(ctx, db.pool, card, -1); err != nil {
			return nil, err
		}
		sm.Cards = append(sm.Cards, mc)
	}
	return sm, nil
}

// storeAgentCuts returns how far each agent of store is applied (see
// central.AgentCuts).
func (db *DB) storeAgentCuts(ctx context.Context, store string) ([]central.AgentCut, error) {
	syncs, err := db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	pres, err := db.Presence(ctx)
	if err != nil {
		return nil, err
	}
	return central.AgentCuts(ctx, store, syncs, pres, db.agentTimes)
}

// agentTimes implements central.AgentTimes.
func (db *DB) agentTimes(ctx context.Context, a central.AgentSync) (contiguous, quarantined time.Time, err error) {
	var wall, first *int64
	if a.ContiguousThrough > 0 {
		if err := db.pool.QueryRow(ctx, `SELECT agent_wall_ms FROM events WHERE agent_id = $1 AND seq = $2`,
			a.AgentID, int64(a.ContiguousThrough)).Scan(&wall); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("read agent %s event %d: %w", a.AgentID, a.ContiguousThrough, err)
		}
	}
	if err := db.pool.QueryRow(ctx, `SELECT MIN(e.agent_wall_ms) FROM quarantine q
		JOIN events e ON e.agent_id = q.agent_id AND e.seq = q.seq WHERE q.agent_id = $1`, a.AgentID).Scan(&first); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("read agent %s quarantine: %w", a.AgentID, err)
	}
	return msTime(wall), msTime(first), nil
}

func msTime(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return fromMS(*v)
}

// storeEnrollments returns the display data of the cards enrolled at
// store, from their MemberEnrolled events.
func (db *DB) storeEnrollments(ctx context.Context, store string) (map[string]central.StoreMemberCard, error) {
	rows, err := db.pool.Query(ctx, `SELECT payload FROM events WHERE store_id = $1 AND kind = $2`,
		store, central.KindMemberEnrolled)
	if err != nil {
		return nil, fmt.Errorf("read enrollments of store %s: %w", store, err)
	}
	out := map[string]central.StoreMemberCard{}
	var payload []byte
	if _, err := pgx.ForEachRow(rows, []any{&payload}, func() error {
		var ev syncproto.Event
		if proto.Unmarshal(payload, &ev) != nil {
			return nil // quarantined as bad data when it arrived; nothing to show
		}
		if card, member, name, phone, ok := central.EnrolledMember(&ev); ok {
			out[card] = central.StoreMemberCard{Card: card, MemberID: member, MaskedName: name, PhoneLast4: phone}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read enrollments of store %s: %w", store, err)
	}
	return out, nil
}

func (db *DB) queryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// enrollLockKey serialises block assignments across central instances.
const enrollLockKey = "enroll_blocks"

// AssignEnrollBlock implements central.EnrollBlocks. A transaction-scoped
// advisory lock makes the check of every assigned block and the append
// one step for all instances.
func (db *DB) AssignEnrollBlock(ctx context.Context, b central.EnrollBlock, now time.Time) (*central.StreamVersion, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("assign enroll block: begin: %w", err)
	}
	defer func() {
		if err := tx.Rollback(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			db.logger.Warn("rollback", "err", err)
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, enrollLockKey); err != nil {
		return nil, fmt.Errorf("assign enroll block: lock: %w", err)
	}
	assigned, err := assignedBlocks(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := central.CheckEnrollBlock(b, assigned); err != nil {
		return nil, err
	}
	var same *central.StreamVersion
	v, err := appendVersion(ctx, tx, central.StoreStream(syncproto.StreamEnroll, b.Store), now,
		func(latest *central.StreamVersion) (*central.StreamVersion, error) {
			if latest != nil && central.EnrollBlockOf(b.Store, latest.Snapshot) == b {
				same = latest
				return nil, errSameBlock
			}
			return &central.StreamVersion{Delta: b.Content(), Snapshot: b.Content(), DeltaIsWhole: true}, nil
		})
	if same != nil {
		return same, nil
	}
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("assign enroll block: commit: %w", err)
	}
	return v, nil
}

var errSameBlock = errors.New("same block")

// assignedBlocks returns every enrollment block ever assigned: the
// versions of every store's enroll_block stream. starts_with, not a key
// range: the database's collation may not order '/' before '0'.
func assignedBlocks(ctx context.Context, tx pgx.Tx) ([]central.EnrollBlock, error) {
	rows, err := tx.Query(ctx, `SELECT stream, delta FROM stream_versions WHERE starts_with(stream, $1)`,
		syncproto.StreamEnroll+"/")
	if err != nil {
		return nil, fmt.Errorf("read enroll blocks: %w", err)
	}
	var out []central.EnrollBlock
	var key string
	var delta []byte
	if _, err := pgx.ForEachRow(rows, []any{&key, &delta}, func() error {
		c, err := central.DecodeContent(delta)
		if err != nil {
			return err
		}
		_, store := central.SplitStream(key)
		out = append(out, central.EnrollBlockOf(store, c))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read enroll blocks: %w", err)
	}
	return out, nil
}
