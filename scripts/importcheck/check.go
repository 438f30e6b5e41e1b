package importcheck

import (
	"fmt"
	"go/parser"
	"go/token"
	"path"
	"strconv"
)

// File is the imports of one Go source file.
type File struct {
	// Path is the file's slash path relative to the module root.
	Path    string
	Imports []Import
}

// Import is one import spec of a file.
type Import struct {
	Path string
	Line int
}

// Violation is one import that breaks a rule.
type Violation struct {
	File   string
	Line   int
	Import string
	Rule   string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s:%d: imports %q, but %s", v.File, v.Line, v.Import, v.Rule)
}

// ParseFile reads the imports of the Go source src named name (a slash path
// relative to the module root). Only the package clause and the imports
// must parse; the rest of the file may be broken.
func ParseFile(name string, src []byte) (File, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
	if err != nil {
		return File{}, fmt.Errorf("parse imports of %s: %w", name, err)
	}
	file := File{Path: name}
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return File{}, fmt.Errorf("%s: import %s: %w", name, spec.Path.Value, err)
		}
		file.Imports = append(file.Imports, Import{Path: p, Line: fset.Position(spec.Pos()).Line})
	}
	return file, nil
}

// Check returns every import of files that a rule forbids, in file order.
func Check(rules []Rule, files []File) []Violation {
	var out []Violation
	for _, f := range files {
		dir := path.Dir(f.Path)
		for _, imp := range f.Imports {
			for _, r := range rules {
				if r.Applies(dir) && r.Forbids(imp.Path) {
					out = append(out, Violation{File: f.Path, Line: imp.Line, Import: imp.Path, Rule: r.Name})
				}
			}
		}
	}
	return out
}
