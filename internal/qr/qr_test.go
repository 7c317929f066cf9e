package qr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"testing"
)

// The tests read every symbol back with a decoder written from the standard,
// independently of the encoder: format and version information (checked
// against the standard's tables and by their BCH codes), the function
// patterns, the codewords in zigzag order, the Reed-Solomon syndromes of
// every block, and the byte-mode segment, which must give back the text.

// formatM is ISO/IEC 18004 table C.1: the 15-bit format information of
// level M, by mask.
var formatM = [8]int{0x5412, 0x5125, 0x5E7C, 0x5B4B, 0x45F9, 0x40CE, 0x4F97, 0x4AA0}

// versionInfo is table D.1 for the versions the tests reach.
var versionInfo = map[int]int{7: 0x07C94, 8: 0x085BC, 9: 0x09A99, 10: 0x0A4D3, 11: 0x0BBF6, 12: 0x0C762,
	13: 0x0D847, 14: 0x0E60D, 15: 0x0F928, 20: 0x149A6, 27: 0x1B08E, 40: 0x28C69}

// blockSpec is table 9 at level M for versions 1 to 13: error-correction
// codewords per block, then (count, data codewords) for each block group.
var blockSpec = map[int][5]int{
	1: {10, 1, 16, 0, 0}, 2: {16, 1, 28, 0, 0}, 3: {26, 1, 44, 0, 0}, 4: {18, 2, 32, 0, 0}, 5: {24, 2, 43, 0, 0},
	6: {16, 4, 27, 0, 0}, 7: {18, 4, 31, 0, 0}, 8: {22, 2, 38, 2, 39}, 9: {22, 3, 36, 2, 37}, 10: {26, 4, 43, 1, 44},
	11: {30, 1, 50, 4, 51}, 12: {22, 6, 36, 2, 37}, 13: {22, 8, 37, 1, 38},
}

// alignment is table E.1 for the versions the tests reach.
var alignment = map[int][]int{1: nil, 2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50}, 11: {6, 30, 54}, 12: {6, 32, 58},
	13: {6, 34, 62}, 14: {6, 26, 46, 66}, 15: {6, 26, 48, 70}, 20: {6, 34, 62, 90},
	27: {6, 34, 62, 90, 118}, 40: {6, 30, 58, 86, 114, 142, 170}}

// gf is GF(256) with the QR polynomial, built with log tables (the encoder
// multiplies bit by bit).
type gf struct{ exp, log [512]int }

func newGF() *gf {
	var g gf
	x := 1
	for i := range 255 {
		g.exp[i], g.log[x] = x, i
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	for i := 255; i < 512; i++ {
		g.exp[i] = g.exp[i-255]
	}
	return &g
}

func (g *gf) mul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	return g.exp[g.log[a]+g.log[b]]
}

// syndromesZero checks that a block (data then EC codewords, highest power
// first) is a codeword: it vanishes at α^0 … α^(ecc-1).
func (g *gf) syndromesZero(block []byte, ecc int) bool {
	for i := range ecc {
		s := 0
		for _, c := range block {
			s = g.mul(s, g.exp[i]) ^ int(c)
		}
		if s != 0 {
			return false
		}
	}
	return true
}

func bch(data, poly, degree int) int {
	rem := data << degree
	for i := bitLen(rem) - 1; i >= degree; i-- {
		if rem>>i&1 == 1 {
			rem ^= poly << (i - degree)
		}
	}
	return data<<degree | rem
}

func bitLen(x int) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}

type decoded struct {
	version, mask int
	text          string
}

// decode reads a symbol back.
func decode(t *testing.T, c *Code) decoded {
	t.Helper()
	size := c.Size()
	if (size-17)%4 != 0 || size < 21 || size > 177 {
		t.Fatalf("size %d is not a QR size", size)
	}
	version := (size - 17) / 4
	dark := c.Dark

	// Finder patterns: 7×7 rings with a 3×3 core, light separators.
	for _, o := range [][2]int{{0, 0}, {size - 7, 0}, {0, size - 7}} {
		for dy := -1; dy <= 7; dy++ {
			for dx := -1; dx <= 7; dx++ {
				x, y := o[0]+dx, o[1]+dy
				if x < 0 || y < 0 || x >= size || y >= size {
					continue
				}
				d := max(abs(dx-3), abs(dy-3))
				if want := d != 2 && d != 4; dark(x, y) != want {
					t.Fatalf("finder at %v: module %d,%d is %v", o, x, y, dark(x, y))
				}
			}
		}
	}
	for i := 8; i < size-8; i++ {
		if dark(i, 6) != (i%2 == 0) || dark(6, i) != (i%2 == 0) {
			t.Fatalf("timing pattern broken at %d", i)
		}
	}

	// Format information, both copies.
	var f1, f2 int
	pos1 := [][2]int{{8, 0}, {8, 1}, {8, 2}, {8, 3}, {8, 4}, {8, 5}, {8, 7}, {8, 8}, {7, 8}, {5, 8}, {4, 8}, {3, 8}, {2, 8}, {1, 8}, {0, 8}}
	for i, p := range pos1 {
		if dark(p[0], p[1]) {
			f1 |= 1 << i
		}
	}
	for i := range 8 {
		if dark(size-1-i, 8) {
			f2 |= 1 << i
		}
	}
	for i := 8; i < 15; i++ {
		if dark(8, size-15+i) {
			f2 |= 1 << i
		}
	}
	if f1 != f2 {
		t.Fatalf("format copies differ: %015b %015b", f1, f2)
	}
	if bch((f1^0x5412)>>10, 0x537, 10) != f1^0x5412 {
		t.Fatalf("format %015b fails its BCH check", f1)
	}
	if (f1^0x5412)>>13 != 0b00 {
		t.Fatalf("format %015b is not level M", f1)
	}
	mask := (f1 ^ 0x5412) >> 10 & 7
	if formatM[mask] != f1 {
		t.Fatalf("format %015b is not table C.1's %015b for mask %d", f1, formatM[mask], mask)
	}
	if !dark(8, size-8) {
		t.Fatal("dark module missing")
	}

	// Function-pattern map, drawn from the standard.
	fn := make([][]bool, size)
	for i := range fn {
		fn[i] = make([]bool, size)
	}
	mark := func(x0, y0, w, h int) {
		for y := y0; y < y0+h; y++ {
			for x := x0; x < x0+w; x++ {
				if x >= 0 && y >= 0 && x < size && y < size {
					fn[y][x] = true
				}
			}
		}
	}
	mark(0, 0, 9, 9)
	mark(size-8, 0, 8, 9)
	mark(0, size-8, 9, 8)
	mark(6, 0, 1, size)
	mark(0, 6, size, 1)
	al, ok := alignment[version]
	if !ok {
		t.Fatalf("test has no alignment table for version %d", version)
	}
	for _, ax := range al {
		for _, ay := range al {
			if ax <= 8 && ay <= 8 || ax <= 8 && ay >= size-9 || ax >= size-9 && ay <= 8 {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					if want := max(abs(dx), abs(dy)) != 1; dark(ax+dx, ay+dy) != want {
						t.Fatalf("alignment pattern at %d,%d broken", ax, ay)
					}
				}
			}
			mark(ax-2, ay-2, 5, 5)
		}
	}
	if version >= 7 {
		var v1, v2 int
		for i := range 18 {
			if dark(size-11+i%3, i/3) {
				v1 |= 1 << i
			}
			if dark(i/3, size-11+i%3) {
				v2 |= 1 << i
			}
		}
		if v1 != v2 || v1 != versionInfo[version] || bch(version, 0x1F25, 12) != v1 {
			t.Fatalf("version information %x %x, want %x", v1, v2, versionInfo[version])
		}
		mark(size-11, 0, 3, 6)
		mark(0, size-11, 6, 3)
	}

	// Codewords in zigzag order, unmasked.
	var bits []bool
	for right := size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (size-1-right)/2%2 == 0
		if right < 6 {
			upward = (size-2-right)/2%2 == 0
		}
		for v := range size {
			y := v
			if upward {
				y = size - 1 - v
			}
			for _, x := range []int{right, right - 1} {
				if fn[y][x] {
					continue
				}
				bits = append(bits, dark(x, y) != maskBit(mask, x, y))
			}
		}
	}
	total := len(bits) / 8 // remainder bits follow the codewords
	cw := make([]byte, total)
	for i := range cw {
		for j := range 8 {
			if bits[i*8+j] {
				cw[i] |= 1 << (7 - j)
			}
		}
	}

	// Blocks: from table 9 for small versions, else from the codeword count.
	var ecc int
	var dataLens []int
	if s, ok := blockSpec[version]; ok {
		ecc = s[0]
		for range s[1] {
			dataLens = append(dataLens, s[2])
		}
		for range s[3] {
			dataLens = append(dataLens, s[4])
		}
	} else {
		perBlock, blocks := eccTable()
		ecc = perBlock[version]
		n := blocks[version]
		short := n - total%n
		for i := range n {
			l := total/n - ecc
			if i >= short {
				l++
			}
			dataLens = append(dataLens, l)
		}
	}
	nData := 0
	for _, l := range dataLens {
		nData += l
	}
	if nData+ecc*len(dataLens) != total {
		t.Fatalf("version %d: %d codewords in the symbol, blocks hold %d", version, total, nData+ecc*len(dataLens))
	}
	blocks := make([][]byte, len(dataLens))
	k := 0
	for i := 0; k < nData; i++ {
		for b, l := range dataLens {
			if i < l {
				blocks[b] = append(blocks[b], cw[k])
				k++
			}
		}
	}
	var data []byte
	for _, b := range blocks {
		data = append(data, b...)
	}
	for range ecc {
		for b := range blocks {
			blocks[b] = append(blocks[b], cw[k])
			k++
		}
	}
	g := newGF()
	for b, blk := range blocks {
		if !g.syndromesZero(blk, ecc) {
			t.Fatalf("block %d is not a Reed-Solomon codeword", b)
		}
	}

	// The byte-mode segment.
	r := bitReader{data: data}
	if mode := r.read(4); mode != 0b0100 {
		t.Fatalf("mode %04b, want byte mode", mode)
	}
	countBits := 8
	if version >= 10 {
		countBits = 16
	}
	n := r.read(countBits)
	text := make([]byte, n)
	for i := range text {
		text[i] = byte(r.read(8))
	}
	if r.pos+4 <= len(data)*8 && r.read(4) != 0 {
		t.Fatal("no terminator after the segment")
	}
	pad := data[(r.pos+7)/8:]
	for i, b := range pad {
		if want := []byte{0xEC, 0x11}[i%2]; b != want {
			t.Fatalf("pad codeword %d is %#x, want %#x", i, b, want)
		}
	}
	return decoded{version: version, mask: mask, text: string(text)}
}

type bitReader struct {
	data []byte
	pos  int
}

func (r *bitReader) read(n int) int {
	v := 0
	for range n {
		v = v<<1 | int(r.data[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

// qris is a dynamic QRIS payload as the simulator makes them.
const qris = "00020101021226570014COM.GO-JEK.WWW01189360091400000000010210G00000000103UMI51" +
	"440014ID.CO.QRIS.WWW0215ID10200000000010303UMI520458145303360540627500058" +
	"02ID5917NUSAPAY SIMULATOR6007JAKARTA6105121906229052560c8b7e2a1f04d9a8b3e5c7d0703A016304ABCD"

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		version int
	}{
		{"empty", "", 1},
		{"short", "HELLO", 1},
		{"version 1 full", strings.Repeat("a", 14), 1},
		{"version 2", strings.Repeat("b", 15), 2},
		{"utf-8", "Pembayaran Rp 275.000 — terima kasih ✓", 3},
		{"qris", qris, 11},
		{"version 9 full", strings.Repeat("9", 180), 9},
		{"count grows to 16 bits", strings.Repeat("x", 181), 10},
		{"version 13 full", strings.Repeat("z", 331), 13},
		{"version 14", strings.Repeat("z", 332), 14},
		{"version 20", strings.Repeat("q", 650), 20},
		{"version 27", strings.Repeat("w", 1100), 27},
		{"version 40 full", strings.Repeat("m", 2331), 40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Encode(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version() != tc.version || c.Size() != 17+4*tc.version {
				t.Fatalf("version %d size %d, want version %d", c.Version(), c.Size(), tc.version)
			}
			d := decode(t, c)
			if d.text != tc.text {
				t.Errorf("decoded %q, want %q", d.text, tc.text)
			}
			if d.mask != c.Mask() {
				t.Errorf("format says mask %d, Mask() %d", d.mask, c.Mask())
			}
		})
	}
}

// TestMaskChoice checks that the masks differ between payloads (the
// penalty score decides) and each is read back.
func TestMaskChoice(t *testing.T) {
	seen := map[int]bool{}
	for i := range 64 {
		text := fmt.Sprintf("order-%d-%s", i, strings.Repeat("#", i%17))
		c, err := Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		if d := decode(t, c); d.text != text {
			t.Fatalf("decoded %q, want %q", d.text, text)
		}
		seen[c.Mask()] = true
	}
	if len(seen) < 3 {
		t.Errorf("only masks %v chosen over 64 payloads", seen)
	}
}

func TestTooLong(t *testing.T) {
	if _, err := Encode(strings.Repeat("m", 2332)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", err)
	}
	if _, err := PNG(strings.Repeat("m", 2332), 4); !errors.Is(err, ErrTooLong) {
		t.Fatalf("PNG err = %v", err)
	}
	if _, err := SVG(strings.Repeat("m", 2332)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("SVG err = %v", err)
	}
}

func TestDarkOutside(t *testing.T) {
	c, err := Encode("x")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]int{{-1, 0}, {0, -1}, {c.Size(), 0}, {0, c.Size()}} {
		if c.Dark(p[0], p[1]) {
			t.Errorf("module %v outside the symbol is dark", p)
		}
	}
}

func TestPNG(t *testing.T) {
	const scale = 3
	b, err := PNG(qris, scale)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Encode(qris)
	side := (c.Size() + 2*QuietZone) * scale
	if img.Bounds().Dx() != side || img.Bounds().Dy() != side {
		t.Fatalf("image %v, want %dx%d", img.Bounds(), side, side)
	}
	for y := -QuietZone; y < c.Size()+QuietZone; y++ {
		for x := -QuietZone; x < c.Size()+QuietZone; x++ {
			r, _, _, _ := img.At((x+QuietZone)*scale+scale/2, (y+QuietZone)*scale+scale/2).RGBA()
			if dark := r < 0x8000; dark != c.Dark(x, y) {
				t.Fatalf("pixel of module %d,%d dark=%v", x, y, dark)
			}
		}
	}
	if _, err := PNG("x", 0); err == nil {
		t.Error("scale 0 accepted")
	}
}

func TestSVG(t *testing.T) {
	b, err := SVG(qris)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Width   string   `xml:"width,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	c, _ := Encode(qris)
	side := c.Size() + 2*QuietZone
	if want := fmt.Sprintf("0 0 %d %d", side, side); doc.ViewBox != want {
		t.Errorf("viewBox %q, want %q", doc.ViewBox, want)
	}
	if doc.Width == "" || doc.Width == "0" {
		t.Errorf("width %q", doc.Width)
	}
	// Rasterise the path's runs and compare with the modules.
	got := map[[2]int]bool{}
	for _, cmd := range strings.Split(doc.Path.D, "z") {
		if cmd == "" {
			continue
		}
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(cmd, "M%d %dh%dv1h-%d", &x, &y, &w, &w2); err != nil || w != w2 || w < 1 {
			t.Fatalf("path command %q: %v", cmd, err)
		}
		for i := range w {
			got[[2]int{x + i - QuietZone, y - QuietZone}] = true
		}
	}
	for y := -QuietZone; y < c.Size()+QuietZone; y++ {
		for x := -QuietZone; x < c.Size()+QuietZone; x++ {
			if got[[2]int{x, y}] != c.Dark(x, y) {
				t.Fatalf("module %d,%d: svg %v, code %v", x, y, got[[2]int{x, y}], c.Dark(x, y))
			}
		}
	}
}

func BenchmarkEncodeQRIS(b *testing.B) {
	for b.Loop() {
		if _, err := Encode(qris); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSVGQRIS(b *testing.B) {
	for b.Loop() {
		if _, err := SVG(qris); err != nil {
			b.Fatal(err)
		}
	}
}
