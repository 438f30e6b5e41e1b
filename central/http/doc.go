// Package http is central's HQ API: sales reports (JSON and CSV), single
// sales, the agents' sync status and a health check. Errors are JSON
// {"error":{"code":..,"message":..}} with the code of a central.Error
// mapped to the HTTP status at this edge.
//
// Member card numbers never leave this API in full: a sale shows the card
// masked to its last four digits (DESIGN §3, privacy).
//
// # HQ dashboard
//
// Server.EnableDashboard adds HTML pages under /dashboard/ (html/template
// and an embedded stylesheet; charts are server-side SVG; no JavaScript).
// It is off unless a users file is configured: its routes then answer 404.
// When it is on:
//
//   - Every page needs a login; users and PBKDF2-SHA256 password hashes
//     come from the users file (Users, HashPassword).
//   - The session is a cookie holding "user.expiry.hmac", signed with
//     HMAC-SHA256 under the session key: stateless, so any instance with
//     the same key accepts it. Logout deletes the cookie; a copied token
//     stays valid until it expires.
//   - Cookies are HttpOnly and SameSite=Strict, and Secure when the
//     request came over TLS (directly, or per X-Forwarded-Proto from a TLS
//     proxy). Central serves plain HTTP: in production it must sit behind
//     a TLS-terminating proxy, or passwords and session cookies cross the
//     network in clear.
//   - CSRF: every POST form (login, logout, member search) is checked
//     twice: http.CrossOriginProtection refuses cross-origin requests by
//     their Sec-Fetch-Site or Origin header, and a signed double-submit
//     token (a random nonce with its HMAC, in a cookie and a hidden field
//     that must match) covers browsers that send neither header.
//   - Failed logins are limited per user name, in memory (loginLimiter).
//   - The member JSON routes need a session too (401 without).
//   - No personal data or card number is put in a dashboard URL: the member
//     search is a POST form, and cards are shown masked.
package http
