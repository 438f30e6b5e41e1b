package http

import (
	"encoding/json"
	"net/http"

	"github.com/tillsync/tillsync/central"
)

// statusOf maps central error codes to HTTP statuses.
var statusOf = map[string]int{
	central.ECONFLICT:    http.StatusConflict,
	central.EINVALID:     http.StatusBadRequest,
	central.ENOTFOUND:    http.StatusNotFound,
	central.EUNAVAILABLE: http.StatusServiceUnavailable,
	central.EINTERNAL:    http.StatusInternalServerError,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers with err's code and safe message. Internal errors are
// logged here, where they are finally handled, and reach the client only
// as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := central.ErrorCode(err)
	if code == central.EINTERNAL {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	s.writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: central.ErrorMessage(err)}})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		// The status is sent; all that is left is to record the failure.
		s.logger.Warn("write response", "err", err)
	}
}
