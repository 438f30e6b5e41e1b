package importfile

import (
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// table reads a CSV file with a header row, checking the header against
// the columns a file kind knows.
type table struct {
	r    *csv.Reader
	cols map[string]int // column name → index
	n    int            // columns in the header
	ps   *problems
}

// header describes the columns of one file kind. refuse, if set, returns a
// reason to reject an unknown column (for personal data) or "".
type header struct {
	required []string
	optional []string
	refuse   func(col string) string
}

// openTable reads the header row. A missing or unusable header is a
// problem on line 1 and returns nil.
func openTable(r io.Reader, h header, ps *problems) *table {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // counted per row, to name the line in our words
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	rec, err := cr.Read()
	if err != nil {
		ps.add(1, "", "", "no header row: the first line must name the columns %s", strings.Join(h.required, ","))
		return nil
	}
	t := &table{r: cr, cols: map[string]int{}, n: len(rec), ps: ps}
	line, _ := cr.FieldPos(0)
	known := map[string]bool{}
	for _, c := range slices.Concat(h.required, h.optional) {
		known[c] = true
	}
	for i, c := range rec {
		c = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))) // Excel writes a BOM
		switch {
		case h.refuse != nil && h.refuse(c) != "":
			ps.add(line, c, "", "%s", h.refuse(c))
		case !known[c]:
			ps.add(line, c, "", "unknown column; the columns are %s", strings.Join(slices.Concat(h.required, h.optional), ","))
		case t.has(c):
			ps.add(line, c, "", "column given twice")
		default:
			t.cols[c] = i
		}
	}
	for _, c := range h.required {
		if !t.has(c) {
			ps.add(line, c, "", "required column is missing")
		}
	}
	if len(ps.Problems) > 0 {
		return nil
	}
	return t
}

func (t *table) has(col string) bool { _, ok := t.cols[col]; return ok }

// next returns the next row and its line, or ok == false at the end or at
// a CSV syntax error (reported). A row with the wrong number of fields is
// reported and skipped.
func (t *table) next() (r row, ok bool) {
	for {
		rec, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return row{}, false
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				t.ps.add(pe.Line, "", "", "CSV syntax: %v", pe.Err)
			} else {
				t.ps.add(0, "", "", "reading the file: %v", err)
			}
			return row{}, false
		}
		line, _ := t.r.FieldPos(0)
		if len(rec) != t.n {
			t.ps.add(line, "", "", "%d fields, the header has %d", len(rec), t.n)
			continue
		}
		return row{rec: rec, line: line, t: t}, true
	}
}

// row is one data row; its accessors report problems and return zero
// values for bad fields.
type row struct {
	rec  []string
	line int
	t    *table
}

// str returns the trimmed value of col ("" for an absent optional column).
func (r row) str(col string) string {
	i, ok := r.t.cols[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

func (r row) bad(col, value, reason string, args ...any) {
	r.t.ps.add(r.line, col, value, reason, args...)
}

// int returns col as an integer in [lo, hi]; empty gives 0 when optional.
// notInt is the reason given for a value that is not an integer.
func (r row) int(col string, lo, hi int64, optional bool, notInt string) int64 {
	v := r.str(col)
	if v == "" {
		if !optional {
			r.bad(col, v, "required")
		}
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil:
		r.bad(col, v, "%s", notInt)
	case n < lo || n > hi:
		r.bad(col, v, "out of range (%d to %d)", lo, hi)
	default:
		return n
	}
	return 0
}

// bool returns col as true/false (also yes/no, 1/0, case-insensitive).
func (r row) bool(col string) bool {
	switch v := strings.ToLower(r.str(col)); v {
	case "true", "yes", "1":
		return true
	case "false", "no", "0":
		return false
	default:
		r.bad(col, v, "must be true or false")
		return false
	}
}
