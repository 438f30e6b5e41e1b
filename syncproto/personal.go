package syncproto

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PersonalData is a member's personal data as it travels to central: the
// JSON document the till seals into MemberEnrolled.sealed_personal, and
// the fields central's member master keeps encrypted at rest. Stores never
// hold it in clear (DESIGN §3, privacy). The last three fields come only
// from HQ's own member master (say a legacy import); a till never sets
// them.
type PersonalData struct {
	Name          string `json:"name"`
	Phone         string `json:"phone"`
	IDNumber      string `json:"id_number,omitempty"`
	IncomeBracket string `json:"income_bracket,omitempty"`
	Address       string `json:"address,omitempty"`
	BirthDate     string `json:"birth_date,omitempty"` // YYYY-MM-DD
	Email         string `json:"email,omitempty"`
}

// Monthly income brackets (yuan) a member may declare, in rising order;
// they drive central's value quadrant.
const (
	IncomeUnder3000  = "<3000"
	Income3000To8000 = "3000-8000"
	Income8000To20k  = "8000-20000"
	IncomeOver20000  = ">20000"
)

// IncomeBrackets lists the accepted income brackets in rising order.
func IncomeBrackets() []string {
	return []string{IncomeUnder3000, Income3000To8000, Income8000To20k, IncomeOver20000}
}

// Limits on personal data.
const (
	MaxPersonNameRunes = 64
	minPhoneDigits     = 6
	maxPhoneDigits     = 15 // ITU-T E.164
	maxAddressRunes    = 200
	maxEmailBytes      = 254 // RFC 5321 path limit
)

// PersonalError is a problem with one personal field. Its message tells
// the person typing what to fix and never quotes the value.
type PersonalError struct {
	Field   string // the PersonalData JSON name: "name", "phone", ...
	Message string
}

func (e *PersonalError) Error() string { return e.Message }

func personalErr(field, format string, args ...any) *PersonalError {
	return &PersonalError{Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	cnMobile   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	cnResident = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)
	docNumber  = regexp.MustCompile(`^[0-9A-Z]{5,20}$`)
	isoDate    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// CleanPersonal normalises pd (spaces in the name collapsed, phone reduced
// to its digits, ID number upper-cased) and checks every field; the error
// is a *PersonalError. collectID false refuses any ID number (a points
// programme should not collect them unless the chain turns it on).
func CleanPersonal(pd PersonalData, collectID bool) (PersonalData, error) {
	pd.Name = strings.Join(strings.Fields(pd.Name), " ")
	n := utf8.RuneCountInString(pd.Name)
	switch {
	case n == 0 || n > MaxPersonNameRunes:
		return pd, personalErr("name", "name is required, 1 to %d characters", MaxPersonNameRunes)
	case !printable(pd.Name):
		return pd, personalErr("name", "name has characters that cannot be printed: type it again")
	}
	phone, err := CleanPhone(pd.Phone)
	if err != nil {
		return pd, err
	}
	pd.Phone = phone
	pd.IDNumber = strings.ToUpper(strings.TrimSpace(pd.IDNumber))
	if pd.IDNumber != "" {
		if !collectID {
			return pd, personalErr("id_number", "this chain does not collect ID numbers: leave the ID number empty")
		}
		if err := checkIDNumber(pd.IDNumber); err != nil {
			return pd, err
		}
	}
	pd.IncomeBracket = strings.TrimSpace(pd.IncomeBracket)
	if pd.IncomeBracket != "" && !ValidIncomeBracket(pd.IncomeBracket) {
		return pd, personalErr("income_bracket", "income bracket must be empty or one of %s", strings.Join(IncomeBrackets(), ", "))
	}
	pd.Address = strings.Join(strings.Fields(pd.Address), " ")
	if utf8.RuneCountInString(pd.Address) > maxAddressRunes || !printable(pd.Address) {
		return pd, personalErr("address", "address must be at most %d printable characters", maxAddressRunes)
	}
	pd.BirthDate = strings.TrimSpace(pd.BirthDate)
	if pd.BirthDate != "" && !validDate(pd.BirthDate) {
		return pd, personalErr("birth_date", "birth date must be a date written YYYY-MM-DD")
	}
	pd.Email = strings.TrimSpace(pd.Email)
	if pd.Email != "" && (len(pd.Email) > maxEmailBytes || strings.Count(pd.Email, "@") != 1 ||
		strings.HasPrefix(pd.Email, "@") || strings.HasSuffix(pd.Email, "@") || strings.ContainsAny(pd.Email, " \t\r\n")) {
		return pd, personalErr("email", "email must look like name@example.com")
	}
	return pd, nil
}

// CleanPhone keeps the digits of a phone number typed with spaces,
// dashes or a leading '+': 6 to 15 digits (E.164); 11 digits beginning
// with 1 must be a mainland mobile number (1[3-9]…).
func CleanPhone(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	switch {
	case s == "":
		return "", personalErr("phone", "phone is required: the member's mobile number")
	case strings.Trim(s, "0123456789") != "" || len(s) < minPhoneDigits || len(s) > maxPhoneDigits:
		return "", personalErr("phone", "phone must be %d to %d digits", minPhoneDigits, maxPhoneDigits)
	case len(s) == 11 && s[0] == '1' && !cnMobile.MatchString(s):
		return "", personalErr("phone", "phone is not a valid mobile number (11 digits, 13x to 19x): type it again")
	}
	return s, nil
}

// PhoneLast4 returns the last four digits of a cleaned phone number, the
// part stores may hold.
func PhoneLast4(phone string) string {
	if len(phone) <= 4 {
		return phone
	}
	return phone[len(phone)-4:]
}

// checkIDNumber accepts a mainland resident ID (GB 11643-1999: 17 digits
// and an ISO 7064 MOD 11-2 check character) or another document number
// of 5 to 20 letters and digits.
func checkIDNumber(id string) error {
	if len(id) == 18 && cnResident.MatchString(id) {
		if IDCheckChar(id[:17]) != id[17] {
			return personalErr("id_number", "ID number's check character is wrong: type it again")
		}
		return nil
	}
	if !docNumber.MatchString(id) {
		return personalErr("id_number", "ID number must be 5 to 20 letters and digits")
	}
	return nil
}

// IDCheckChar is the GB 11643-1999 (ISO 7064 MOD 11-2) check character of
// the first 17 digits of a resident ID.
func IDCheckChar(digits string) byte {
	sum, w := 0, 1
	for i := len(digits) - 1; i >= 0; i-- {
		w = w * 2 % 11
		sum += int(digits[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// ValidIncomeBracket reports whether b is one of IncomeBrackets.
func ValidIncomeBracket(b string) bool {
	for _, v := range IncomeBrackets() {
		if v == b {
			return true
		}
	}
	return false
}

// MaskName returns name as stores may show it: each word's first
// character and a '*' for every other ("张三" → "张*", "John Smith" →
// "J*** S****"); a word of one character still gets one '*'.
func MaskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		first, size := utf8.DecodeRuneInString(w)
		words[i] = string(first) + strings.Repeat("*", max(1, utf8.RuneCountInString(w[size:])))
	}
	return strings.Join(words, " ")
}

func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// validDate checks YYYY-MM-DD with a real month and day (leap years too).
func validDate(s string) bool {
	if !isoDate.MatchString(s) {
		return false
	}
	y := atoi(s[0:4])
	m := atoi(s[5:7])
	d := atoi(s[8:10])
	if y < 1900 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
