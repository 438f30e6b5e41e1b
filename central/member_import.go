package central

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tillsync/tillsync/syncproto"
)

// A legacy member import reads a CSV file of millions of members in
// chunks. Each chunk — its members, its bad rows and the import's
// checkpoint (bytes and lines consumed) — is stored in one transaction, so
// an import stopped anywhere (Ctrl-C, a crash, a lost database
// connection) resumes from its last chunk when run again on the same file,
// and stores every row once. An import is known by the SHA-256 of the
// file's content: the same file under another name resumes; a changed file
// is a new import (its rows are upserts by member id, so nothing doubles
// either way). A bad row is reported with its line number and the field
// at fault, stored with the import, and skipped: never a silent drop.

// DefaultImportChunkRows is how many rows one import transaction stores
// unless ImportOptions says otherwise.
const DefaultImportChunkRows = 2000

// MemberImport is the checkpoint of one import.
type MemberImport struct {
	ID     string // SHA-256 of the file, hex
	Name   string // the file's name when the import started, for people
	Size   int64  // the file's size in bytes
	Offset int64  // bytes consumed (every row before it is stored)
	Line   int64  // lines consumed
	Rows   int64  // rows stored
	Bad    int64  // rows refused
	// Done: the whole file is consumed; running the import again stores
	// nothing.
	Done      bool
	StartedAt time.Time
	UpdatedAt time.Time
}

// BadRow is a refused import row. Reason names the field and what is
// wrong with it, never its value.
type BadRow struct {
	Line   int64
	Field  string // the column at fault, "" for the row as a whole
	Reason string
}

func (b BadRow) String() string {
	if b.Field == "" {
		return fmt.Sprintf("line %d: %s", b.Line, b.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", b.Line, b.Field, b.Reason)
}

// ImportedMember is one good row of an import: the member with its sealed
// fields, its card and its opening balance from the old system.
type ImportedMember struct {
	Line          int64
	Member        Member
	Card          string
	OpeningPoints int64 // 0 for none
}

// OpeningBalanceID is the adjustment id of card's opening balance from an
// import: one per card, however often the card is imported.
func OpeningBalanceID(card string) string { return "opening:" + card }

// OpeningBalanceReason is the reason on every opening balance entry.
const OpeningBalanceReason = "opening balance from the legacy member import"

// ImportChunk is what SaveImportChunk stores: the rows and bad rows of the
// file between From and Import.Offset, and the checkpoint after them.
type ImportChunk struct {
	Import MemberImport
	From   int64 // the checkpoint's Offset before this chunk
	Rows   []ImportedMember
	Bad    []BadRow
	Now    time.Time
}

// ImportProgress is reported after every stored chunk.
type ImportProgress struct {
	Import  MemberImport
	Resumed bool  // the import continued an earlier run
	ThisRun int64 // rows (good and bad) this run read
}

// ImportOptions configure ImportMembers.
type ImportOptions struct {
	Keys *Keyring // seals the personal fields; required
	// CollectIDNumbers keeps ID numbers (sealed). Off by default: a row
	// with an ID number is refused, as at the till (DESIGN §3).
	CollectIDNumbers bool
	Now              func() time.Time
	Progress         func(ImportProgress) // nil for none
	// OnBad is called with every bad row as it is found (also those the
	// store refuses); nil for none.
	OnBad func(BadRow)
	// ChunkRows is how many rows one transaction stores; 0 means
	// DefaultImportChunkRows.
	ChunkRows int
}

// Import CSV columns. member_id, card, name and phone are required; the
// others may be left out of the file or empty.
var importColumns = []string{"member_id", "card", "name", "phone", "id_number", "income_bracket",
	"address", "birth_date", "email", "kind", "store", "joined", "marketing_opt_out", "points"}

// memberIDPattern is the member id form of the master.
var memberIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// ImportFileID returns the import id of the content r holds: its SHA-256.
func ImportFileID(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, fmt.Errorf("read import file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ImportMembers imports the member CSV file r (name is for people) into
// store, resuming an earlier run of the same content. It returns the
// final checkpoint. A header naming an unknown column, or lacking a
// required one, fails with EINVALID before anything is stored.
func ImportMembers(ctx context.Context, store MemberStore, r io.ReadSeeker, name string, o ImportOptions) (MemberImport, error) {
	if o.Keys.Active() == "" {
		return MemberImport{}, Errorf(EUNAVAILABLE, "no member data key is configured (members.keys): personal data cannot be imported")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ChunkRows <= 0 {
		o.ChunkRows = DefaultImportChunkRows
	}
	id, size, err := ImportFileID(r)
	if err != nil {
		return MemberImport{}, err
	}
	imp, err := store.MemberImport(ctx, id)
	resumed := err == nil
	switch {
	case resumed && imp.Done:
		return imp, nil
	case ErrorCode(err) == ENOTFOUND:
		imp = MemberImport{ID: id, Name: name, Size: size, StartedAt: o.Now().UTC()}
	case err != nil:
		return imp, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return imp, fmt.Errorf("read import file: %w", err)
	}
	p := &importParser{o: o, base: 0}
	if err := p.readHeader(r); err != nil {
		return imp, err
	}
	if imp.Offset == 0 {
		imp.Offset, imp.Line = p.offset, p.line
	}
	if _, err := r.Seek(imp.Offset, io.SeekStart); err != nil {
		return imp, fmt.Errorf("read import file: %w", err)
	}
	p.start(r, imp.Offset, imp.Line)
	var thisRun int64
	for {
		if err := ctx.Err(); err != nil {
			return imp, err
		}
		c, done, err := p.chunk()
		if err != nil {
			return imp, err
		}
		c.From = imp.Offset
		imp.Offset, imp.Line, imp.Done = p.offset, p.line, done
		imp.Rows += int64(len(c.Rows))
		imp.Bad += int64(len(c.Bad))
		imp.UpdatedAt = o.Now().UTC()
		c.Import, c.Now = imp, imp.UpdatedAt
		rejected, err := store.SaveImportChunk(ctx, c)
		if err != nil {
			return imp, fmt.Errorf("import %s at line %d: %w", name, c.Import.Line, err)
		}
		thisRun += int64(len(c.Rows) + len(c.Bad))
		imp.Rows -= int64(len(rejected))
		imp.Bad += int64(len(rejected))
		if o.OnBad != nil {
			for _, b := range rejected {
				o.OnBad(b)
			}
		}
		if o.Progress != nil {
			o.Progress(ImportProgress{Import: imp, Resumed: resumed, ThisRun: thisRun})
		}
		if done {
			return imp, nil
		}
	}
}

// importParser reads an import file's rows.
type importParser struct {
	o      ImportOptions
	col    map[string]int // column name → index
	ncol   int
	cr     *csv.Reader
	base   int64 // the file offset the csv reader started at
	line   int64 // lines consumed
	offset int64 // bytes consumed
	bline  int64 // the line the csv reader started after
}

// readHeader reads and checks the header line.
func (p *importParser) readHeader(r io.Reader) error {
	p.start(r, 0, 0)
	rec, err := p.cr.Read()
	if err != nil {
		return Errorf(EINVALID, "line 1: the file must start with a header line naming the columns (%s)", strings.Join(importColumns, ","))
	}
	p.col = map[string]int{}
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !contains(importColumns, h) {
			return Errorf(EINVALID, "line 1: unknown column %q (known: %s)", h, strings.Join(importColumns, ","))
		}
		if _, dup := p.col[h]; dup {
			return Errorf(EINVALID, "line 1: column %q appears twice", h)
		}
		p.col[h] = i
	}
	for _, req := range importColumns[:4] {
		if _, ok := p.col[req]; !ok {
			return Errorf(EINVALID, "line 1: required column %q is missing", req)
		}
	}
	p.ncol = len(rec)
	p.offset, p.line = p.cr.InputOffset(), 1
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// start reads from r, which is at file offset off after line lines.
func (p *importParser) start(r io.Reader, off, line int64) {
	p.cr = csv.NewReader(r)
	p.cr.FieldsPerRecord = -1
	p.cr.ReuseRecord = true
	p.base, p.bline, p.offset, p.line = off, line, off, line
}

// chunk reads up to o.ChunkRows rows; done reports the end of the file.
func (p *importParser) chunk() (ImportChunk, bool, error) {
	var c ImportChunk
	for len(c.Rows)+len(c.Bad) < p.o.ChunkRows {
		rec, err := p.cr.Read()
		if errors.Is(err, io.EOF) {
			return c, true, nil
		}
		var line int64
		if err == nil {
			l, _ := p.cr.FieldPos(0)
			line = p.bline + int64(l)
		}
		p.offset = p.base + p.cr.InputOffset()
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			c.Bad = append(c.Bad, BadRow{Line: p.bline + int64(pe.StartLine), Reason: "not valid CSV: " + pe.Err.Error()})
			p.line = p.bline + int64(pe.Line)
			p.report(c.Bad[len(c.Bad)-1])
			continue
		} else if err != nil {
			return c, false, fmt.Errorf("read import file: %w", err)
		}
		p.line = line + newlines(rec) // a quoted field may span lines
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		m, bad := p.row(rec, line)
		if bad != nil {
			c.Bad = append(c.Bad, *bad)
			p.report(*bad)
			continue
		}
		c.Rows = append(c.Rows, m)
	}
	return c, false, nil
}

// newlines counts the line breaks inside rec's fields.
func newlines(rec []string) int64 {
	n := 0
	for _, f := range rec {
		n += strings.Count(f, "\n")
	}
	return int64(n)
}

func (p *importParser) report(b BadRow) {
	if p.o.OnBad != nil {
		p.o.OnBad(b)
	}
}

// row checks one record and seals its personal fields.
func (p *importParser) row(rec []string, line int64) (ImportedMember, *BadRow) {
	bad := func(field, format string, args ...any) (ImportedMember, *BadRow) {
		return ImportedMember{}, &BadRow{Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if len(rec) != p.ncol {
		return bad("", "has %d fields, the header has %d", len(rec), p.ncol)
	}
	get := func(col string) string {
		if i, ok := p.col[col]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	m := ImportedMember{Line: line, Card: get("card")}
	m.Member.ID = get("member_id")
	switch {
	case !memberIDPattern.MatchString(m.Member.ID):
		return bad("member_id", "must be 1 to 64 letters, digits, '_', '.', ':' or '-'")
	case !cardPattern.MatchString(m.Card):
		return bad("card", "must be 1 to 32 letters or digits")
	}
	kind, err := ParseMemberKind(get("kind"))
	if err != nil {
		return bad("kind", "must be customer, staff or test (empty is customer)")
	}
	m.Member.Kind = kind
	m.Member.StoreID = get("store")
	if !validText(m.Member.StoreID) {
		return bad("store", "must be at most %d characters", maxIDLen)
	}
	if j := get("joined"); j != "" {
		t, err := time.Parse(time.DateOnly, j)
		if err != nil {
			return bad("joined", "must be a date written YYYY-MM-DD")
		}
		m.Member.JoinedAt = t
	}
	switch strings.ToLower(get("marketing_opt_out")) {
	case "", "0", "false", "no", "n":
	case "1", "true", "yes", "y":
		m.Member.MarketingOptOut = true
	default:
		return bad("marketing_opt_out", "must be true or false (or empty)")
	}
	if s := get("points"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > MaxEntryPoints || n < -MaxEntryPoints {
			return bad("points", "must be a whole number of points")
		}
		m.OpeningPoints = n
	}
	pd, err := syncproto.CleanPersonal(syncproto.PersonalData{Name: get("name"), Phone: get("phone"),
		IDNumber: get("id_number"), IncomeBracket: get("income_bracket"), Address: get("address"),
		BirthDate: get("birth_date"), Email: get("email")}, p.o.CollectIDNumbers)
	if pe := (*syncproto.PersonalError)(nil); errors.As(err, &pe) {
		return bad(pe.Field, "%s", pe.Message)
	} else if err != nil {
		return bad("", "%v", err)
	}
	if err := m.Member.SealPersonal(p.o.Keys, pd); err != nil {
		return bad("", "cannot be sealed: %v", err)
	}
	return m, nil
}

// ImportState is what the database holds of an import chunk's cards and
// members when the chunk's transaction starts; PlanImportChunk updates it
// as it accepts rows.
type ImportState struct {
	CardOwner  map[string]string // card → member it is linked to
	ActiveCard map[string]string // member → its active card
	Erased     map[string]bool   // members erased on request
}

// NewImportState returns an empty state.
func NewImportState() ImportState {
	return ImportState{CardOwner: map[string]string{}, ActiveCard: map[string]string{}, Erased: map[string]bool{}}
}

// ImportPlan is what a chunk's transaction writes.
type ImportPlan struct {
	Rows []ImportedMember
	// NewLinks are the rows whose card is linked to their member now
	// (the others' cards were linked already).
	NewLinks []ImportedMember
	Rejected []BadRow
}

// PlanImportChunk decides, row by row in file order, which rows of c the
// database can take: a card belongs to one member; a member has one
// active card (a new card for a member goes through ReplaceCard); a
// member erased on request is never filled again from an old file.
func PlanImportChunk(c ImportChunk, st ImportState) ImportPlan {
	var p ImportPlan
	for _, r := range c.Rows {
		id := r.Member.ID
		owner, linked := st.CardOwner[r.Card]
		switch {
		case st.Erased[id]:
			p.Rejected = append(p.Rejected, BadRow{Line: r.Line, Field: "member_id",
				Reason: "member's personal data was erased on request: not imported again"})
			continue
		case linked && owner != id:
			p.Rejected = append(p.Rejected, BadRow{Line: r.Line, Field: "card", Reason: "card belongs to another member"})
			continue
		case !linked && st.ActiveCard[id] != "":
			p.Rejected = append(p.Rejected, BadRow{Line: r.Line, Field: "card",
				Reason: "member already has another active card (replace a lost card with `cards replace`)"})
			continue
		}
		p.Rows = append(p.Rows, r)
		if !linked {
			p.NewLinks = append(p.NewLinks, r)
			st.CardOwner[r.Card] = id
			st.ActiveCard[id] = r.Card
		}
	}
	return p
}

// ImportEntries returns the opening balance entries of plan's rows.
func (p ImportPlan) ImportEntries(now time.Time) []PointsEntry {
	var out []PointsEntry
	for _, r := range p.Rows {
		if r.OpeningPoints == 0 {
			continue
		}
		out = append(out, PointsEntry{ID: AdjustID(OpeningBalanceID(r.Card)), Kind: PointsAdjust,
			Points: r.OpeningPoints, Card: r.Card, MemberID: r.Member.ID, At: now.UTC(), Reason: OpeningBalanceReason})
	}
	return out
}

// ChunkCards returns the cards and member ids of c's rows.
func (c ImportChunk) ChunkCards() (cards, members []string) {
	for _, r := range c.Rows {
		cards = append(cards, r.Card)
		members = append(members, r.Member.ID)
	}
	return cards, members
}

// KeyID returns the id of the key m's sealed fields were made with, ""
// when it has none.
func (m *Member) KeyID() string {
	for _, v := range [][]byte{m.Personal, m.Income} {
		if id, _, err := SealedKeyID(v); err == nil {
			return id
		}
	}
	return ""
}
