package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

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
	rows, err := db.read.QueryContext(ctx, `SELECT store_id FROM agents UNION SELECT store_id FROM presence ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("read member stores: %w", err)
	}
	defer closeRows(rows, db)
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("read member stores: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
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
	cards, err := db.queryStrings(ctx, `SELECT DISTINCT card FROM points_entries WHERE store_id = ?`, store)
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
		err := db.read.QueryRowContext(ctx, `SELECT COALESCE((SELECT member_id FROM points_cards WHERE card = ?1), '')`,
			card).Scan(&member)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read card %s: %w", central.MaskCard(card), err)
		}
		// The tier and the master's display data ride in the member
		// record, so a change makes a new version of the store's stream
		// (RefreshStoreMembers diffs).
		d, err := cardDisplay(ctx, db.read, card)
		if err != nil {
			return nil, err
		}
		mc.Apply(d)
		if member != "" {
			mc.MemberID = member
		}
		if mc.Entries, err = queryEntries(ctx, db.read, card, -1); err != nil {
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
	var wall, first sql.NullInt64
	if a.ContiguousThrough > 0 {
		if err := db.read.QueryRowContext(ctx, `SELECT agent_wall_ms FROM events WHERE agent_id = ? AND seq = ?`,
			a.AgentID, int64(a.ContiguousThrough)).Scan(&wall); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("read agent %s event %d: %w", a.AgentID, a.ContiguousThrough, err)
		}
	}
	if err := db.read.QueryRowContext(ctx, `SELECT MIN(e.agent_wall_ms) FROM quarantine q
		JOIN events e ON e.agent_id = q.agent_id AND e.seq = q.seq WHERE q.agent_id = ?`, a.AgentID).Scan(&first); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("read agent %s quarantine: %w", a.AgentID, err)
	}
	return msTime(wall), msTime(first), nil
}

func msTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// storeEnrollments returns the display data of the cards enrolled at
// store, from their MemberEnrolled events.
func (db *DB) storeEnrollments(ctx context.Context, store string) (map[string]central.StoreMemberCard, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT payload FROM events WHERE store_id = ? AND kind = ?`,
		store, central.KindMemberEnrolled)
	if err != nil {
		return nil, fmt.Errorf("read enrollments of store %s: %w", store, err)
	}
	defer closeRows(rows, db)
	out := map[string]central.StoreMemberCard{}
	for rows.Next() {
		var payload []byte
		if err := rows.Scan(&payload); err != nil {
			return nil, fmt.Errorf("read enrollments of store %s: %w", store, err)
		}
		var ev syncproto.Event
		if err := proto.Unmarshal(payload, &ev); err != nil {
			continue // quarantined as bad data when it arrived; nothing to show
		}
		if card, member, name, phone, ok := central.EnrolledMember(&ev); ok {
			out[card] = central.StoreMemberCard{Card: card, MemberID: member, MaskedName: name, PhoneLast4: phone}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read enrollments of store %s: %w", store, err)
	}
	return out, nil
}

func (db *DB) queryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer closeRows(rows, db)
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// AssignEnrollBlock implements central.EnrollBlocks. The write connection
// begins IMMEDIATE, so the check and the append hold the database's
// write lock together: no other process can assign in between.
func (db *DB) AssignEnrollBlock(ctx context.Context, b central.EnrollBlock, now time.Time) (*central.StreamVersion, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if db.write == nil {
		return nil, central.Errorf(central.EUNAVAILABLE, "database %q is open read-only", db.path)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("assign enroll block: begin: %w", err)
	}
	defer rollback(tx, db.logger)
	assigned, err := assignedBlocks(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := central.CheckEnrollBlock(b, assigned); err != nil {
		return nil, err
	}
	key := central.StoreStream(syncproto.StreamEnroll, b.Store)
	var same *central.StreamVersion
	v, err := appendVersion(ctx, tx, key, now, func(latest *central.StreamVersion) (*central.StreamVersion, error) {
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
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("assign enroll block: commit: %w", err)
	}
	return v, nil
}

var errSameBlock = errors.New("same block")

// enrollKeyLow and enrollKeyHigh bound the enroll_block stream keys of
// every store ('0' follows '/'), so the scan uses the primary key.
const (
	enrollKeyLow  = syncproto.StreamEnroll + "/"
	enrollKeyHigh = syncproto.StreamEnroll + "0"
)

// assignedBlocks returns every enrollment block ever assigned.
func assignedBlocks(ctx context.Context, tx *sql.Tx) ([]central.EnrollBlock, error) {
	rows, err := tx.QueryContext(ctx, `SELECT stream, delta FROM stream_versions WHERE stream >= ? AND stream < ?`,
		enrollKeyLow, enrollKeyHigh)
	if err != nil {
		return nil, fmt.Errorf("read enroll blocks: %w", err)
	}
	var out []central.EnrollBlock
	for rows.Next() {
		var key string
		var delta []byte
		if err := rows.Scan(&key, &delta); err != nil {
			return nil, errors.Join(fmt.Errorf("read enroll blocks: %w", err), rows.Close())
		}
		c, err := central.DecodeContent(delta)
		if err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		_, store := central.SplitStream(key)
		out = append(out, central.EnrollBlockOf(store, c))
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read enroll blocks: %w", err)
	}
	return out, nil
}
