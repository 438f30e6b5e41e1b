package importfile

import (
	"fmt"
	"strings"

	"github.com/tillsync/tillsync/agent"
)

// maxProblems is how many problems one ParseError lists; the rest are
// counted. Twenty is enough to see a pattern (a wrong column, a wrong unit)
// without burying it.
const maxProblems = 20

// Problem is one thing wrong in an import file.
type Problem struct {
	Line   int    // 1-based line of the file; 0 when not known
	Column string // column or key; "" for the whole row or file
	Value  string // the offending value as shown (masked for card numbers, withheld for personal data)
	Reason string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d", p.Line)
	}
	if p.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %s", p.Column)
	}
	if p.Value != "" {
		fmt.Fprintf(&b, ", value %q", p.Value)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// ParseError lists the problems found in one import file. It unwraps to
// an EINVALID *agent.Error with the same message, so agent.ErrorCode and
// the API edge treat it as bad input.
type ParseError struct {
	File     string // "catalog", "members" or "policy"
	Problems []Problem
	Omitted  int // problems found beyond the first maxProblems
}

func (e *ParseError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	for _, p := range e.Problems {
		lines = append(lines, p.String())
	}
	if e.Omitted > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more problems", e.Omitted))
	}
	return fmt.Sprintf("%s file: %d problem(s): %s", e.File, len(e.Problems)+e.Omitted, strings.Join(lines, "; "))
}

// Unwrap returns the error as a coded EINVALID *agent.Error.
func (e *ParseError) Unwrap() error { return agent.Errorf(agent.EINVALID, "%s", e.Error()) }

// problems collects findings for one file.
type problems struct {
	ParseError
}

func newProblems(file string) *problems { return &problems{ParseError{File: file}} }

func (ps *problems) add(line int, column, value, reason string, args ...any) {
	if len(ps.Problems) >= maxProblems {
		ps.Omitted++
		return
	}
	if r := []rune(value); len(r) > 60 {
		value = string(r[:57]) + "..."
	}
	ps.Problems = append(ps.Problems, Problem{Line: line, Column: column, Value: value, Reason: fmt.Sprintf(reason, args...)})
}

// err returns the collected problems as a *ParseError, or nil.
func (ps *problems) err() error {
	if len(ps.Problems) == 0 {
		return nil
	}
	pe := ps.ParseError
	return &pe
}
