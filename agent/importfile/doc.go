// Package importfile reads the files a store is provisioned from by hand:
// the catalog and member cache as CSV, the loyalty policy as YAML. Each
// parser takes an io.Reader (no file system access), checks every row and
// reports every problem it finds at once — up to a limit — naming the line,
// the column and the value, so the file's author fixes them in one pass.
//
// Parsers only read and check shape; the command that loads a policy still
// calls agent.Policy.Validate for the rules between fields.
package importfile
