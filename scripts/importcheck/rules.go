package importcheck

import (
	_ "embed"
	"fmt"
	"strings"
)

// Rule forbids some imports to some packages.
type Rule struct {
	// Name says the rule in words; failure messages quote it.
	Name string
	// Applies reports whether the rule binds the package in dir, a slash
	// path relative to the module root ("." for the root).
	Applies func(dir string) bool
	// Forbids reports whether the rule forbids importing path.
	Forbids func(path string) bool
}

// Rules returns tillsync's import rules for the module named module.
func Rules(module string) []Rule {
	agentTree, centralTree := module+"/agent", module+"/central"
	rules := libraryRules(libraries)
	return append(rules,
		forbid("the agent tree does not import the central tree", inTree("agent"), centralTree),
		forbid("the central tree does not import the agent tree", inTree("central"), agentTree),
		forbid("syncproto imports neither agent nor central", inTree("syncproto"), agentTree, centralTree),
		forbid("drivers import neither agent nor central", inTree("drivers"), agentTree, centralTree),
		forbid("the root packages agent and central import no I/O library",
			func(dir string) bool { return dir == "agent" || dir == "central" },
			"net/http", "database/sql", "os/exec"),
	)
}

// libraries is the table of which packages may import each outside
// library. It is data, not code, so the checker's own source names no
// library it polices.
//
//go:embed libraries.txt
var libraries string

// libraryRules parses the libraries table. A malformed line is a
// programming error in this package, found by any test run.
func libraryRules(table string) []Rule {
	var rules []Rule
	for n, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch {
		case f[0] == "only-in" && len(f) >= 3:
			rules = append(rules, onlyIn(f[1], f[2:]...))
		case f[0] == "only-in-cmd" && len(f) == 2:
			rules = append(rules, onlyInCmd(f[1]))
		case f[0] == "only-in-tests" && len(f) == 2:
			rules = append(rules, onlyInTests(f[1]))
		default:
			panic(fmt.Sprintf("libraries.txt line %d: %q is not a rule", n+1, line))
		}
	}
	return rules
}

// onlyIn lets only the packages under dirs import lib or its subpackages.
func onlyIn(lib string, dirs ...string) Rule {
	return Rule{
		Name: fmt.Sprintf("%s is imported only by %s", lib, strings.Join(dirs, " and ")),
		Applies: func(dir string) bool {
			for _, d := range dirs {
				if under(dir, d) {
					return false
				}
			}
			return true
		},
		Forbids: func(path string) bool { return under(path, lib) },
	}
}

// onlyInTests keeps lib out of every non-test file (the checker reads
// non-test files only): the browser driver is a test tool, never part of
// a binary.
func onlyInTests(lib string) Rule {
	return Rule{
		Name:    lib + " is imported only by tests",
		Applies: func(string) bool { return true },
		Forbids: func(path string) bool { return under(path, lib) },
	}
}

// onlyInCmd lets only packages below a cmd directory import lib: wiring
// lives in cmd (STYLE rule 3).
func onlyInCmd(lib string) Rule {
	return Rule{
		Name:    lib + " is imported only under a cmd/ directory",
		Applies: func(dir string) bool { return !hasElem(dir, "cmd") },
		Forbids: func(path string) bool { return under(path, lib) },
	}
}

// forbid keeps the packages where applies holds from importing the
// packages under any of roots.
func forbid(name string, applies func(dir string) bool, roots ...string) Rule {
	return Rule{
		Name:    name,
		Applies: applies,
		Forbids: func(path string) bool {
			for _, r := range roots {
				if under(path, r) {
					return true
				}
			}
			return false
		},
	}
}

func inTree(root string) func(dir string) bool {
	return func(dir string) bool { return under(dir, root) }
}

// under reports whether slash path p is root or below it, so that
// "agent/boltx" is not under "agent/bolt".
func under(p, root string) bool {
	return p == root || strings.HasPrefix(p, root+"/")
}

func hasElem(p, elem string) bool {
	for _, e := range strings.Split(p, "/") {
		if e == elem {
			return true
		}
	}
	return false
}
