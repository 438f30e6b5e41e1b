package http_test

import (
	"crypto/rand"
	"strings"
	"testing"

	centralhttp "github.com/tillsync/tillsync/central/http"
)

// userLine returns a users file line for name and password at the fewest
// iterations allowed (quick under the race detector).
func userLine(t *testing.T, name, password string) string {
	t.Helper()
	line, err := centralhttp.HashPassword(rand.Reader, name, password, centralhttp.MinIterations)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	return line
}

func TestParseUsers(t *testing.T) {
	good := userLine(t, "hq", "correct horse")
	other := userLine(t, "fin.ance@hq", "battery staple")
	_, hash, _ := strings.Cut(good, ":")
	t.Run("OK", func(t *testing.T) {
		u, err := centralhttp.ParseUsers(strings.NewReader("# HQ users\n\n" + good + "\n  " + other + "  \n"))
		if err != nil {
			t.Fatalf("ParseUsers: %v", err)
		}
		if u.Len() != 2 || !u.Has("hq") || !u.Has("fin.ance@hq") || u.Has("nobody") {
			t.Fatalf("users: len %d, has hq %v", u.Len(), u.Has("hq"))
		}
		if !u.Authenticate("hq", "correct horse") || !u.Authenticate("fin.ance@hq", "battery staple") {
			t.Fatal("right password refused")
		}
		for _, c := range [][2]string{{"hq", "correct hors"}, {"hq", ""}, {"hq", "battery staple"}, {"nobody", "correct horse"}} {
			if u.Authenticate(c[0], c[1]) {
				t.Errorf("Authenticate(%q, %q) = true", c[0], c[1])
			}
		}
	})
	low := strings.Replace(good, "$100000$", "$99999$", 1)
	for _, tc := range []struct {
		name, file string
		want       []string // every fragment must be in the error
	}{
		{"ErrNoColon", good + "\njust-a-name\n", []string{"line 2:", `want "name:`}},
		{"ErrScheme", "hq:$pbkdf2-sha1$100000$c2FsdHNhbHQ$eA\n", []string{"line 1:", "$pbkdf2-sha256$"}},
		{"ErrFewIterations", "# c\n" + low, []string{"line 2:", `iterations "99999"`}},
		{"ErrSalt", "hq:$pbkdf2-sha256$100000$!!$" + hash[strings.LastIndex(hash, "$")+1:], []string{"line 1:", "salt"}},
		{"ErrHashLength", "hq:$pbkdf2-sha256$100000$c2FsdHNhbHQ$c2hvcnQ\n", []string{"line 1:", "hash is not base64 of 32 bytes"}},
		{"ErrBadName", "h q:" + hash, []string{"line 1:", "user name"}},
		{"ErrDuplicate", good + "\n" + other + "\n" + good, []string{"line 3:", `"hq" appears twice`}},
		{"ErrEveryBadLine", "x\n" + good + "\ny\n", []string{"line 1:", "line 3:"}},
		{"ErrEmpty", "# nobody yet\n", []string{"no users", "users add"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := centralhttp.ParseUsers(strings.NewReader(tc.file))
			if err == nil {
				t.Fatal("ParseUsers succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), hash[strings.LastIndex(hash, "$")+1:]) {
				t.Errorf("error %q shows a password hash", err)
			}
		})
	}
}

func TestHashPassword_Err(t *testing.T) {
	for _, tc := range []struct {
		name, user string
		iterations int
	}{
		{"FewIterations", "hq", centralhttp.MinIterations - 1},
		{"EmptyName", "", centralhttp.MinIterations},
		{"ColonInName", "h:q", centralhttp.MinIterations},
		{"LongName", strings.Repeat("a", 65), centralhttp.MinIterations},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if line, err := centralhttp.HashPassword(rand.Reader, tc.user, "pw", tc.iterations); err == nil {
				t.Fatalf("HashPassword = %q, want an error", line)
			}
		})
	}
}
