package http

import (
	"encoding/json"
	"net/http"

	"github.com/tillsync/tillsync/agent"
)

var statusByCode = map[string]int{
	agent.EINVALID:     http.StatusBadRequest,
	agent.ENOTFOUND:    http.StatusNotFound,
	agent.ECONFLICT:    http.StatusConflict,
	agent.EUNAVAILABLE: http.StatusServiceUnavailable,
	agent.EINTERNAL:    http.StatusInternalServerError,
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with the error's code and message; internal errors
// are logged here, where they are finally handled, and shown generically.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := agent.ErrorCode(err)
	if code == agent.EINTERNAL {
		s.logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statusByCode[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, agent.ErrorMessage(err)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// The status line is already sent; a failed write means the client left.
	if err := enc.Encode(v); err != nil {
		return
	}
}
