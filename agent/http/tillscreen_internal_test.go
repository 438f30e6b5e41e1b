package http

import (
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestScreenMessages_SameKeys(t *testing.T) {
	en := slices.Sorted(maps.Keys(screenMessages["en"]))
	for lang, m := range screenMessages {
		if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, en) {
			t.Errorf("%s keys differ from en:\n%v\n%v", lang, got, en)
		}
	}
}

func TestScreenLang(t *testing.T) {
	tests := []struct{ url, accept, want string }{
		{"/till/l?lang=zh", "en", "zh"},
		{"/till/l?lang=en", "zh-CN", "en"},
		{"/till/l", "zh-TW,zh;q=0.9,en;q=0.8", "zh"},
		{"/till/l", "de, en;q=0.1", "en"},
		{"/till/l", "en;q=0.2, zh;q=0.7", "zh"},
		{"/till/l", "zh;q=bad", defaultScreenLang},
		{"/till/l", "", defaultScreenLang},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.url, nil)
		r.Header.Set("Accept-Language", tt.accept)
		if got := screenLang(r); got != tt.want {
			t.Errorf("screenLang(%s, %q) = %q, want %q", tt.url, tt.accept, got, tt.want)
		}
	}
}
