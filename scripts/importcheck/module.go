package importcheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNoModule is returned when no go.mod is found.
var ErrNoModule = errors.New("no go.mod found")

// FindModuleRoot returns the nearest directory at or above dir that holds a
// go.mod, or ErrNoModule.
func FindModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find module root: %w above %s", ErrNoModule, dir)
		}
		dir = parent
	}
}

// ModulePath returns the module path declared in root/go.mod.
func ModulePath(root string) (string, error) {
	src, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("read go.mod: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == "module" {
			if p, err := strconv.Unquote(fields[1]); err == nil {
				return p, nil
			}
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read go.mod: %w", err)
	}
	return "", fmt.Errorf("%s: no module directive", filepath.Join(root, "go.mod"))
}

// LoadFiles parses the imports of every non-test .go file of the module at
// root, skipping what the go command skips: testdata and vendor
// directories, names starting with "." or "_", and nested modules. It returns
// the files it could parse and, joined, an error for each it could not.
func LoadFiles(root string) ([]File, error) {
	var files []File
	var errs []error
	walk := func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(p, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") ||
			strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		f, err := loadFile(root, p)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		files = append(files, f)
		return nil
	}
	if err := filepath.WalkDir(root, walk); err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	return files, errors.Join(errs...)
}

func skipDir(p, name string) bool {
	if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	_, err := os.Stat(filepath.Join(p, "go.mod"))
	return err == nil // another module; its own check covers it
}

func loadFile(root, p string) (File, error) {
	src, err := os.ReadFile(p)
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", p, err)
	}
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return File{}, fmt.Errorf("relative path of %s: %w", p, err)
	}
	return ParseFile(filepath.ToSlash(rel), src)
}
