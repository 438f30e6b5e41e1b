package central

// PyramidClass is a member's layer of the customer pyramid.
type PyramidClass uint8

// Pyramid layers, top first. PyramidExcluded is the class of staff and
// test cards, which the pyramid does not rank.
const (
	PyramidExcluded PyramidClass = iota
	PyramidVIP
	PyramidBig
	PyramidOrdinary
	PyramidSmall
)

var pyramidText = [...]string{"excluded", "vip", "big", "ordinary", "small"}

// String returns the class's lowercase name ("vip", "big", ...), or
// "unknown" for a value that is not a class.
func (c PyramidClass) String() string {
	if int(c) >= len(pyramidText) {
		return "unknown"
	}
	return pyramidText[c]
}

// PyramidOptions are the shares of the top three layers, in basis points
// of the classified members; small takes the rest.
type PyramidOptions struct {
	VIPShareBP      int64 // default 100 (top 1 %)
	BigShareBP      int64 // default 400 (the next 4 %)
	OrdinaryShareBP int64 // default 1500 (the next 15 %)
}

// DefaultPyramidOptions returns the shares of the chains' studies:
// VIP 1 %, big 4 %, ordinary 15 %, small the remaining 80 %.
func DefaultPyramidOptions() PyramidOptions {
	return PyramidOptions{VIPShareBP: 100, BigShareBP: 400, OrdinaryShareBP: 1500}
}

// Validate returns an EINVALID *Error naming the first bad share, or nil:
// each share is 0 to 10000 and together they are at most 10000.
func (o PyramidOptions) Validate() error {
	for _, s := range []struct {
		field string
		bp    int64
	}{{"pyramid.vip_share_bp", o.VIPShareBP}, {"pyramid.big_share_bp", o.BigShareBP}, {"pyramid.ordinary_share_bp", o.OrdinaryShareBP}} {
		if err := checkShareBP(s.field, s.bp); err != nil {
			return err
		}
	}
	if sum := o.VIPShareBP + o.BigShareBP + o.OrdinaryShareBP; sum > fullShareBP {
		return Errorf(EINVALID, "pyramid shares vip %d + big %d + ordinary %d = %d exceed %d basis points",
			o.VIPShareBP, o.BigShareBP, o.OrdinaryShareBP, sum, fullShareBP)
	}
	return nil
}

// Cuts returns, for n classified members, how many of them at most are
// VIP, VIP or big, and VIP, big or ordinary: n × the cumulative share,
// rounded down, so a layer never holds more than its share (with 150
// members and 1 %, one VIP). Cuts assumes o is valid.
func (o PyramidOptions) Cuts(n int) [3]int {
	vip := o.VIPShareBP
	big := vip + o.BigShareBP
	ord := big + o.OrdinaryShareBP
	return [3]int{cut(n, vip), cut(n, big), cut(n, ord)}
}

// cut is floor(n × bp / 10000) without overflowing for any n.
func cut(n int, bp int64) int {
	q, r := int64(n)/fullShareBP, int64(n)%fullShareBP
	return int(q*bp + r*bp/fullShareBP)
}

// PyramidKey is what the pyramid ranks a member by: window spend without
// the member's single largest sale (saturating; a negative largest sale
// counts as none). This is the one-off rule (DESIGN §6): a member whose
// spend is one big purchase — a wedding banquet's drinks, a company's
// year-end gifts — has a key of 0 and cannot be a key customer, while a
// member who buys big often loses only one of many big sales. It needs no
// visit threshold to tune, and it cannot reorder two members whose
// largest sales are equal.
func PyramidKey(m *MemberStats) int64 {
	return subSat(m.SpendFen, max(m.LargestSaleFen, 0))
}

// ClassifyPyramid returns the pyramid layer of each member, in input
// order, or an EINVALID *Error when o is invalid.
//
// Classified members (not staff, not test) are ranked by PyramidKey,
// highest first, and the layers are cut at o.Cuts(n). Members with equal
// keys always share a layer: when a cut falls inside a run of equal keys,
// the whole run goes below the cut. Precisely, a member is in the highest
// layer whose cut is at least the number of members whose key is greater
// than or equal to theirs. So the first k layers never hold more members
// than their cut — a key-customer layer costs care and offers, and a tie
// must not inflate it — and a tie at a cut can only shrink the layer above
// the cut (ten members tied at ranks 9–18 of 1000 are all big, leaving 8
// VIPs).
func ClassifyPyramid(members []MemberStats, o PyramidOptions) ([]PyramidClass, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	out := make([]PyramidClass, len(members))
	pyramidInto(out, members, o, make([]ranked, 0, len(members)))
	return out, nil
}

// pyramidInto writes the layer of every member into dst (len(members))
// using buf as scratch, and returns buf for reuse. o must be valid.
func pyramidInto(dst []PyramidClass, members []MemberStats, o PyramidOptions, buf []ranked) []ranked {
	clear(dst)
	buf = rankDesc(buf, members, PyramidKey)
	cuts := o.Cuts(len(buf))
	for i := 0; i < len(buf); {
		end := tieEnd(buf, i)
		class := PyramidSmall
		for layer, c := range cuts {
			if end <= c {
				class = PyramidVIP + PyramidClass(layer)
				break
			}
		}
		for _, r := range buf[i:end] {
			dst[r.idx] = class
		}
		i = end
	}
	return buf
}
