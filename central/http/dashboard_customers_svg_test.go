package http

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/tillsync/tillsync/central"
)

// svgBand is what a band of the rendered pyramid holds.
type svgBand struct {
	class  string
	points [][2]int
	texts  []string
}

// renderPyramid renders the customers page's "pyramid" template for c and
// parses the result as XML (strictly: a page that is not well-formed
// fails), returning the root's attributes and the bands.
func renderPyramid(t *testing.T, c pyramidChart) (map[string]string, []svgBand) {
	t.Helper()
	d := &dashboard{pages: dashboardPages()}
	if err := d.parseTemplates(); err != nil {
		t.Fatalf("parseTemplates: %v", err)
	}
	var buf bytes.Buffer
	if err := d.tmpl["customers"].ExecuteTemplate(&buf, "pyramid", c); err != nil {
		t.Fatalf("render pyramid: %v", err)
	}
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.Strict = true
	root := map[string]string{}
	var bands []svgBand
	var depth int
	var inText bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the pyramid is not well-formed XML: %v\n%s", err, buf.String())
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			attrs := map[string]string{}
			for _, a := range el.Attr {
				attrs[a.Name.Local] = a.Value
			}
			switch {
			case depth == 1:
				if el.Name.Local != "svg" || el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root element %v, want svg in the SVG namespace", el.Name)
				}
				root = attrs
			case el.Name.Local == "g" && attrs["class"] == "band":
				bands = append(bands, svgBand{class: attrs["data-class"]})
			case el.Name.Local == "polygon" && len(bands) > 0:
				bands[len(bands)-1].points = parsePoints(t, attrs["points"])
			case el.Name.Local == "text" && len(bands) > 0:
				inText = true
				bands[len(bands)-1].texts = append(bands[len(bands)-1].texts, "")
			}
		case xml.EndElement:
			depth--
			if el.Name.Local == "text" {
				inText = false
			}
		case xml.CharData:
			if inText {
				b := &bands[len(bands)-1]
				b.texts[len(b.texts)-1] += string(el)
			}
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced SVG:\n%s", buf.String())
	}
	return root, bands
}

func parsePoints(t *testing.T, s string) [][2]int {
	t.Helper()
	var out [][2]int
	for _, p := range strings.Fields(s) {
		x, y, ok := strings.Cut(p, ",")
		xi, err1 := strconv.Atoi(x)
		yi, err2 := strconv.Atoi(y)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad polygon point %q in %q", p, s)
		}
		out = append(out, [2]int{xi, yi})
	}
	return out
}

func TestPyramidOf(t *testing.T) {
	sizes := []central.ClassSize{
		{Classifier: "pyramid", Class: "vip", Members: 1, SpendShareBP: 165},
		{Classifier: "pyramid", Class: "big", Members: 2, SpendShareBP: 281},
		{Classifier: "pyramid", Class: "ordinary", Members: 3, SpendShareBP: 298},
		{Classifier: "pyramid", Class: "small", Members: 5, SpendShareBP: 8430},
	}
	root, bands := renderPyramid(t, pyramidOf(sizes))
	if root["id"] != "pyramid" || root["class"] == "placeholder" || root["width"] != "640" {
		t.Fatalf("svg attributes %v", root)
	}
	want := []struct{ class, title, detail string }{
		{"vip", "VIP", "1 member · 1.65 % of spend"},
		{"big", "Big", "2 members · 2.81 % of spend"},
		{"ordinary", "Ordinary", "3 members · 2.98 % of spend"},
		{"small", "Small", "5 members · 84.30 % of spend"},
	}
	if len(bands) != len(want) {
		t.Fatalf("%d bands, want %d: %+v", len(bands), len(want), bands)
	}
	prevBottom, prevWidth := -1, 0
	for i, b := range bands {
		w := want[i]
		if b.class != w.class || len(b.texts) != 2 || b.texts[0] != w.title || b.texts[1] != w.detail {
			t.Errorf("band %d = %q %q, want %s %q %q", i, b.class, b.texts, w.class, w.title, w.detail)
		}
		// A trapezoid: a top edge narrower than the bottom edge, both
		// centred, below the band above it.
		p := b.points
		if len(p) != 4 || p[0][1] != p[1][1] || p[2][1] != p[3][1] || p[0][1] <= prevBottom {
			t.Fatalf("band %s is not a trapezoid below the last: %v", b.class, p)
		}
		top, bottom := p[1][0]-p[0][0], p[2][0]-p[3][0]
		if top <= prevWidth || bottom <= top || p[0][0]+p[1][0] != p[2][0]+p[3][0] {
			t.Errorf("band %s: top %d, bottom %d (band above %d), points %v; want a widening, centred band", b.class, top, bottom, prevWidth, p)
		}
		prevBottom, prevWidth = p[2][1], bottom
	}
	if c := pyramidOf(sizes); prevBottom >= c.Height {
		t.Errorf("bottom band ends at %d, the picture at %d", prevBottom, c.Height)
	}
}

func TestPyramidOf_MissingClass(t *testing.T) {
	_, bands := renderPyramid(t, pyramidOf([]central.ClassSize{{Classifier: "pyramid", Class: "small", Members: 3, SpendShareBP: 10_000}}))
	if len(bands) != 4 || bands[0].texts[1] != "0 members · 0.00 % of spend" || bands[3].texts[1] != "3 members · 100.00 % of spend" {
		t.Fatalf("bands %+v", bands)
	}
}

func TestPyramidOf_Placeholder(t *testing.T) {
	root, bands := renderPyramid(t, pyramidOf(nil))
	if root["class"] != "placeholder" || !strings.Contains(root["aria-label"], "no classification run") {
		t.Fatalf("placeholder svg attributes %v", root)
	}
	if len(bands) != 4 {
		t.Fatalf("%d placeholder bands, want 4", len(bands))
	}
	for _, b := range bands {
		if len(b.texts) != 2 || b.texts[1] != "no run yet" || len(b.points) != 4 {
			t.Errorf("placeholder band %+v", b)
		}
	}
}
