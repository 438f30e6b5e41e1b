package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const chainID = "e2e"

// central is a running tillsync-central and where to reach it.
type central struct {
	*proc
	http      string // base URL of its HTTP API
	brokerURL string // the broker agents should use
	env       []string
}

// centralOpts says how to start central. The zero values of the fields
// after brokerAddr keep central's defaults.
type centralOpts struct {
	dir        string // its database lives here
	brokerURL  string // "" = embedded broker on a free port
	httpAddr   string // "" = a free port
	brokerAddr string
	// postgresDSN selects database.driver postgres on that database
	// (see scaleFreshPostgres); "" = SQLite in dir.
	postgresDSN string
	instanceID  string // instance_id (the MQTT client id); "" = central's default
	sharedGroup string // broker.shared_group; "" = a plain subscription
	name        string // process and log name; "" = "central"
}

func startCentral(t testing.TB, o centralOpts) *central {
	t.Helper()
	if o.httpAddr == "" {
		o.httpAddr = freeAddr(t)
	}
	if o.name == "" {
		o.name = "central"
	}
	env := []string{
		"TILLSYNC_CHAIN_ID=" + chainID,
		"TILLSYNC_DATABASE_PATH=" + filepath.Join(o.dir, "central.db"),
		"TILLSYNC_HTTP_LISTEN=" + o.httpAddr,
	}
	if o.postgresDSN != "" {
		env = append(env, "TILLSYNC_DATABASE_DRIVER=postgres", "TILLSYNC_DATABASE_DSN="+o.postgresDSN)
	}
	if o.instanceID != "" {
		env = append(env, "TILLSYNC_INSTANCE_ID="+o.instanceID)
	}
	if o.sharedGroup != "" {
		env = append(env, "TILLSYNC_BROKER_SHARED_GROUP="+o.sharedGroup)
	}
	c := &central{http: "http://" + o.httpAddr}
	if o.brokerURL == "" {
		if o.brokerAddr == "" {
			o.brokerAddr = freeAddr(t)
		}
		env = append(env, "TILLSYNC_BROKER_MODE=embedded", "TILLSYNC_BROKER_LISTEN="+o.brokerAddr)
		c.brokerURL = "tcp://" + o.brokerAddr
	} else {
		env = append(env, "TILLSYNC_BROKER_MODE=external", "TILLSYNC_BROKER_URL="+o.brokerURL)
		c.brokerURL = o.brokerURL
	}
	c.env = env
	c.proc = start(t, o.dir, o.name, bins.central, env, "run")
	waitFor(t, 60*time.Second, o.name+" to serve /healthz", func() bool { return healthy(c.http) })
	return c
}

// restart kills central with SIGKILL and starts it again on the same
// addresses and database.
func (c *central) restart(t testing.TB, dir string) {
	t.Helper()
	c.kill(t)
	c.proc = start(t, dir, c.name, bins.central, c.env, "run")
	waitFor(t, 60*time.Second, c.name+" to serve /healthz again", func() bool { return healthy(c.http) })
}

// agentProc is a running tillsync-agent.
type agentProc struct {
	*proc
	api     string
	storeID string
	agentID string
	env     []string
	dir     string
	args    []string // extra arguments of "run"
}

func agentEnv(dir, storeID, agentID, apiAddr, brokerURL string) []string {
	return []string{
		"TILLSYNC_CHAIN_ID=" + chainID,
		"TILLSYNC_STORE_ID=" + storeID,
		"TILLSYNC_AGENT_ID=" + agentID,
		"TILLSYNC_LEDGER_PATH=" + filepath.Join(dir, agentID+".db"),
		"TILLSYNC_API_LISTEN=" + apiAddr,
		"TILLSYNC_UPLINK_BROKER_URL=" + brokerURL,
		// Short enough that resends happen many times in a test run.
		"TILLSYNC_UPLINK_ACK_TIMEOUT=2s",
		"TILLSYNC_LOG_LEVEL=debug",
	}
}

func startAgent(t testing.TB, dir, storeID, agentID, brokerURL string) *agentProc {
	t.Helper()
	addr := freeAddr(t)
	a := &agentProc{api: "http://" + addr, storeID: storeID, agentID: agentID, dir: dir,
		env: agentEnv(dir, storeID, agentID, addr, brokerURL)}
	a.launch(t)
	return a
}

func (a *agentProc) launch(t testing.TB) {
	t.Helper()
	a.proc = start(t, a.dir, a.agentID, bins.agent, a.env, append([]string{"run"}, a.args...)...)
	waitFor(t, 60*time.Second, a.agentID+" to serve /healthz", func() bool { return healthy(a.api) })
}

// checkLedger runs "tillsync-agent ledger check" on the stopped agent's
// ledger file and fails the test if the file is not sound.
func (a *agentProc) checkLedger(t testing.TB) {
	t.Helper()
	cmd := exec.Command(bins.agent, "ledger", "check")
	cmd.Env = append(os.Environ(), a.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ledger check after a kill: %v\n%s", err, out)
	}
}

type agentStatus struct {
	Connected    bool   `json:"connected"`
	LastSeq      uint64 `json:"last_seq"`
	LastAckedSeq uint64 `json:"last_acked_seq"`
	OutboxDepth  uint64 `json:"outbox_depth"`
}

func (a *agentProc) status(t testing.TB) agentStatus {
	t.Helper()
	var st agentStatus
	if code, err := getJSON(a.api+"/v1/status", &st); err != nil || code != http.StatusOK {
		t.Fatalf("agent status: %d %v", code, err)
	}
	return st
}

// sale is a sale the test submitted, with the total the agent must compute.
type sale struct {
	ID       string
	TotalFen int64
	body     map[string]any
}

// newSale returns a random sale with a client-chosen UUID (so a retry after
// a lost answer is safe) of 1–4 lines, one of them weighed.
func newSale(t testing.TB, lane string) sale {
	t.Helper()
	id := uuid7(t)
	n := 1 + randInt(t, 4)
	var lines []map[string]any
	var total int64
	for i := 0; i < n; i++ {
		qty := int64(1000 * (1 + randInt(t, 3)))
		if i == 0 {
			qty = int64(1 + randInt(t, 2500)) // weighed: up to 2.5 kg
		}
		price := int64(1 + randInt(t, 9999))
		lt := (qty*price + 500) / 1000
		total += lt
		lines = append(lines, map[string]any{
			"sku": fmt.Sprintf("SKU-%d", randInt(t, 500)), "quantity_milli": qty, "unit_price_fen": price,
		})
	}
	return sale{ID: id, TotalFen: total, body: map[string]any{"sale_id": id, "lane": lane, "lines": lines}}
}

// outcome of posting a sale.
type outcome int

const (
	confirmed outcome = iota // 201: the agent said it is durable
	uncertain                // no answer: it may or may not be committed
)

func postSale(ctx context.Context, t testing.TB, api string, s sale) outcome {
	code, body, err := postJSON(ctx, api+"/v1/sales", s.body)
	switch {
	case err != nil:
		return uncertain
	case code == http.StatusCreated:
		var got struct {
			TotalFen int64 `json:"total_fen"`
		}
		if err := json.Unmarshal(body, &got); err != nil || got.TotalFen != s.TotalFen {
			t.Errorf("sale %s: agent answered total %d (%v), want %d", s.ID, got.TotalFen, err, s.TotalFen)
		}
		return confirmed
	default:
		t.Errorf("sale %s: agent answered %d %s", s.ID, code, body)
		return uncertain
	}
}

// ledgerBook records what the test knows about the sales it submitted.
type ledgerBook struct {
	mu        sync.Mutex
	confirmed map[string]sale
	uncertain map[string]sale
}

func newBook() *ledgerBook {
	return &ledgerBook{confirmed: map[string]sale{}, uncertain: map[string]sale{}}
}

func (b *ledgerBook) record(s sale, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o == confirmed {
		b.confirmed[s.ID] = s
		delete(b.uncertain, s.ID)
		return
	}
	b.uncertain[s.ID] = s
}

// sellUntil posts sales from lanes concurrent clients until ctx ends.
func sellUntil(ctx context.Context, t testing.TB, api string, lanes int, book *ledgerBook) {
	var wg sync.WaitGroup
	for l := 1; l <= lanes; l++ {
		wg.Add(1)
		go func(lane string) {
			defer wg.Done()
			for ctx.Err() == nil {
				s := newSale(t, lane)
				book.record(s, postSale(ctx, t, api, s))
			}
		}(fmt.Sprintf("lane-%d", l))
	}
	wg.Wait()
}

// sellN posts n sales one after another and records them.
func sellN(t testing.TB, api string, n int, book *ledgerBook) {
	t.Helper()
	for i := 0; i < n; i++ {
		s := newSale(t, "lane-1")
		if o := postSale(context.Background(), t, api, s); o != confirmed {
			t.Fatalf("sale %d not confirmed by a healthy agent", i)
		}
		book.record(s, confirmed)
	}
}

// settleUncertain re-posts every uncertain sale with its own id: the agent
// either commits it now or answers with the sale it had committed before.
func (b *ledgerBook) settleUncertain(t testing.TB, api string) {
	t.Helper()
	b.mu.Lock()
	pending := make([]sale, 0, len(b.uncertain))
	for _, s := range b.uncertain {
		pending = append(pending, s)
	}
	b.mu.Unlock()
	for _, s := range pending {
		if o := postSale(context.Background(), t, api, s); o != confirmed {
			t.Fatalf("retry of sale %s not confirmed", s.ID)
		}
		b.record(s, confirmed)
	}
}

func (b *ledgerBook) total() (n int, fen int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.confirmed {
		fen += s.TotalFen
	}
	return len(b.confirmed), fen
}

func randInt(t testing.TB, n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		t.Fatal(err)
	}
	return int(v.Int64())
}

// uuid7 returns a random UUIDv7 (RFC 9562 §5.7) in canonical form.
func uuid7(t testing.TB) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	ms := uint64(time.Now().UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// scaleFreshPostgres creates an empty database on the test PostgreSQL
// (TILLSYNC_TEST_POSTGRES, default role postgres on 127.0.0.1:5432, as in
// central/postgres's tests), drops it at cleanup and returns its DSN. An
// unreachable server fails the test: scripts/test.sh starts one.
func scaleFreshPostgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TILLSYNC_TEST_POSTGRES")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("TILLSYNC_TEST_POSTGRES must be a postgres:// URL for the end-to-end tests")
	}
	name := "tillsync_e2e_" + strings.ToLower(rand.Text())
	ident := pgx.Identifier{name}.Sanitize()
	scalePostgresExec(t, admin, "CREATE DATABASE "+ident)
	// Cleanups run last-in first-out, so the centrals started after this
	// are killed before the database is dropped; FORCE ends any session
	// a killed process left behind.
	t.Cleanup(func() { scalePostgresExec(t, admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

func scalePostgresExec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL %s (scripts/test.sh starts one): %v", scaleRedacted(dsn), err)
	}
	defer func() {
		if err := conn.Close(context.Background()); err != nil {
			t.Errorf("close admin connection: %v", err)
		}
	}()
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func scaleRedacted(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}
