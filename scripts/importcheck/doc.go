// Package importcheck enforces the import rules of DESIGN §2 and STYLE rule 2:
// each I/O library is imported by exactly one package (or its cmd wiring),
// the agent and central trees never import each other, syncproto and drivers
// import neither, and the root domain packages import no I/O library.
//
// Its test runs the rules over every non-test .go file of the module, so a
// violation fails `go test ./...`; scripts/check-imports.sh runs it alone.
// Imports are read with go/parser in ImportsOnly mode, which is fast and
// works while some package does not compile.
package importcheck
