// Package qr draws QR Codes (ISO/IEC 18004) for payment payloads: the
// Midtrans simulator's generate-qr-code images and the demo shop's QRIS
// codes, drawn from the qr_string itself rather than fetched from Midtrans.
//
// It encodes in byte mode at error-correction level M (15% of the symbol
// may be damaged or covered), versions 1 to 40, and picks the mask with the
// lowest penalty score, as the standard asks, so phone readers scan the
// result. Level M is what payment QR codes commonly use; byte mode carries
// any text, and QRIS payloads (EMVCo, a few hundred ASCII characters) fit in
// versions 10 to 15. It follows the structure of Project Nayuki's reference
// encoder. The package has no state: every call is independent and safe
// for concurrent use.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
)

// ErrTooLong is returned for text beyond the capacity of a version 40
// symbol at level M (2331 bytes).
var ErrTooLong = errors.New("qr: text too long for a QR code")

// QuietZone is the light border, in modules, that PNG and SVG draw around
// the symbol; readers need it to find the code.
const QuietZone = 4

// Code is an encoded QR Code: a square of dark and light modules.
type Code struct {
	version int
	mask    int
	size    int
	dark    []bool // row-major
}

// Size is the width and height in modules (17 + 4 × version), without the
// quiet zone.
func (c *Code) Size() int { return c.size }

// Version is the symbol version, 1 to 40.
func (c *Code) Version() int { return c.version }

// Mask is the mask pattern applied to the data, 0 to 7.
func (c *Code) Mask() int { return c.mask }

// Dark reports whether the module at column x, row y is dark. Modules
// outside the symbol (the quiet zone) are light.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.size || y >= c.size {
		return false
	}
	return c.dark[y*c.size+x]
}

// eccTable returns, per version (index 0 unused) at level M, the
// error-correction codewords per block and the number of blocks (ISO/IEC
// 18004 table 9). A function, not a variable: no package state to mutate.
func eccTable() (perBlock, blocks [41]int) {
	perBlock = [41]int{0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
		26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28}
	blocks = [41]int{0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
		17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49}
	return perBlock, blocks
}

// rawModules is the number of modules of a version left for data and error
// correction once the function patterns are drawn.
func rawModules(version int) int {
	n := (16*version+128)*version + 64
	if version >= 2 {
		align := version/7 + 2
		n -= (25*align-10)*align - 55
		if version >= 7 {
			n -= 36
		}
	}
	return n
}

// dataCodewords is the number of 8-bit data codewords of a version at level M.
func dataCodewords(version int) int {
	perBlock, blocks := eccTable()
	return rawModules(version)/8 - perBlock[version]*blocks[version]
}

// alignmentPositions are the row and column centres of the alignment
// patterns of a version.
func alignmentPositions(version int) []int {
	if version == 1 {
		return nil
	}
	n := version/7 + 2
	step := (version*8 + n*3 + 5) / (n*4 - 4) * 2
	out := make([]int, n)
	out[0] = 6
	for i, pos := n-1, version*4+17-7; i >= 1; i, pos = i-1, pos-step {
		out[i] = pos
	}
	return out
}

// Encode encodes text (as its UTF-8 bytes) in the smallest version that
// holds it.
func Encode(text string) (*Code, error) {
	data := []byte(text)
	version := 0
	for v := 1; v <= 40; v++ {
		countBits := 8
		if v >= 10 {
			countBits = 16
		}
		if 4+countBits+8*len(data) <= dataCodewords(v)*8 {
			version = v
			break
		}
	}
	if version == 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLong, len(data))
	}
	m := newMatrix(version)
	m.drawFunctionPatterns()
	m.drawCodewords(addECC(version, dataStream(version, data)))

	best, bestScore := 0, -1
	for mask := range 8 {
		m.applyMask(mask)
		m.drawFormat(mask)
		if s := m.penalty(); bestScore < 0 || s < bestScore {
			best, bestScore = mask, s
		}
		m.applyMask(mask) // XOR again to undo
	}
	m.applyMask(best)
	m.drawFormat(best)
	return &Code{version: version, mask: best, size: m.size, dark: m.dark}, nil
}

// dataStream is the byte-mode segment, terminator and padding: exactly the
// version's data codewords.
func dataStream(version int, data []byte) []byte {
	capacity := dataCodewords(version)
	var bits []bool
	put := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	put(0b0100, 4) // byte mode
	if version >= 10 {
		put(len(data), 16)
	} else {
		put(len(data), 8)
	}
	for _, b := range data {
		put(int(b), 8)
	}
	put(0, min(4, capacity*8-len(bits))) // terminator
	put(0, (8-len(bits)%8)%8)
	out := make([]byte, 0, capacity)
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for j := range 8 {
			if bits[i+j] {
				b |= 1 << (7 - j)
			}
		}
		out = append(out, b)
	}
	for pad := byte(0xEC); len(out) < capacity; pad ^= 0xEC ^ 0x11 {
		out = append(out, pad)
	}
	return out
}

// addECC splits data into the version's blocks, appends each block's
// Reed-Solomon codewords and interleaves them.
func addECC(version int, data []byte) []byte {
	perBlock, blockCounts := eccTable()
	nBlocks, ecc := blockCounts[version], perBlock[version]
	raw := rawModules(version) / 8
	nShort := nBlocks - raw%nBlocks
	shortLen := raw / nBlocks // data + ecc of a short block
	div := rsDivisor(ecc)
	blocks := make([][]byte, nBlocks)
	off := 0
	for i := range nBlocks {
		n := shortLen - ecc
		if i >= nShort {
			n++
		}
		blk := append([]byte(nil), data[off:off+n]...)
		off += n
		if i < nShort {
			blk = append(blk, 0) // placeholder so every block has the same length
		}
		blocks[i] = append(blk, rsRemainder(data[off-n:off], div)...)
	}
	out := make([]byte, 0, raw)
	for i := range shortLen + 1 {
		for j, blk := range blocks {
			if i != shortLen-ecc || j >= nShort { // skip the placeholders
				out = append(out, blk[i])
			}
		}
	}
	return out
}

// gfMul multiplies in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
func gfMul(x, y byte) byte {
	var z int
	for i := 7; i >= 0; i-- {
		z = z<<1 ^ (z>>7)*0x11D
		z ^= int(y>>i&1) * int(x)
	}
	return byte(z)
}

// rsDivisor is the generator polynomial of the given degree, without its
// leading 1, highest power first.
func rsDivisor(degree int) []byte {
	res := make([]byte, degree)
	res[degree-1] = 1
	root := byte(1)
	for range degree {
		for j := range degree {
			res[j] = gfMul(res[j], root)
			if j+1 < degree {
				res[j] ^= res[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return res
}

func rsRemainder(data, div []byte) []byte {
	res := make([]byte, len(div))
	for _, b := range data {
		factor := b ^ res[0]
		copy(res, res[1:])
		res[len(res)-1] = 0
		for i := range res {
			res[i] ^= gfMul(div[i], factor)
		}
	}
	return res
}

// matrix is a symbol being built: dark modules, and which of them belong
// to function patterns (never masked, never data).
type matrix struct {
	version  int
	size     int
	dark     []bool
	function []bool
}

func newMatrix(version int) *matrix {
	size := version*4 + 17
	return &matrix{version: version, size: size, dark: make([]bool, size*size), function: make([]bool, size*size)}
}

func (m *matrix) set(x, y int, dark bool) {
	m.dark[y*m.size+x] = dark
	m.function[y*m.size+x] = true
}

func (m *matrix) drawFunctionPatterns() {
	size := m.size
	for i := range size { // timing patterns
		m.set(6, i, i%2 == 0)
		m.set(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {size - 4, 3}, {3, size - 4}} { // finders and separators
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x >= 0 && x < size && y >= 0 && y < size {
					d := max(abs(dx), abs(dy))
					m.set(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	al := alignmentPositions(m.version)
	last := len(al) - 1
	for i, ax := range al {
		for j, ay := range al {
			if i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0 {
				continue // the finder corners
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					m.set(ax+dx, ay+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	m.drawFormat(0) // reserves the format areas; redrawn with the chosen mask
	if m.version >= 7 {
		rem := m.version
		for range 12 {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		bits := m.version<<12 | rem
		for i := range 18 {
			bit := bits>>i&1 == 1
			a, b := size-11+i%3, i/3
			m.set(a, b, bit)
			m.set(b, a, bit)
		}
	}
}

// drawFormat writes both copies of the format information: level M (0b00)
// and the mask, BCH-protected and XORed with 0x5412.
func (m *matrix) drawFormat(mask int) {
	data := 0b00<<3 | mask
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>i&1 == 1 }
	for i := 0; i <= 5; i++ {
		m.set(8, i, bit(i))
	}
	m.set(8, 7, bit(6))
	m.set(8, 8, bit(7))
	m.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		m.set(14-i, 8, bit(i))
	}
	for i := range 8 {
		m.set(m.size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		m.set(8, m.size-15+i, bit(i))
	}
	m.set(8, m.size-8, true) // the dark module
}

// drawCodewords places the codewords in the two-column zigzag from the
// bottom-right corner, skipping function modules.
func (m *matrix) drawCodewords(cw []byte) {
	i := 0
	for right := m.size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5 // the vertical timing pattern
		}
		for vert := range m.size {
			for j := range 2 {
				x, y := right-j, vert
				if (right+1)&2 == 0 {
					y = m.size - 1 - vert // upward
				}
				if !m.function[y*m.size+x] && i < len(cw)*8 {
					m.dark[y*m.size+x] = cw[i>>3]>>(7-i&7)&1 == 1
					i++
				}
			}
		}
	}
}

// maskBit reports whether mask pattern k inverts the module at x, y.
func maskBit(k, x, y int) bool {
	switch k {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

// applyMask XORs mask pattern k over the data modules; applying it twice
// undoes it.
func (m *matrix) applyMask(k int) {
	for y := range m.size {
		for x := range m.size {
			if !m.function[y*m.size+x] && maskBit(k, x, y) {
				m.dark[y*m.size+x] = !m.dark[y*m.size+x]
			}
		}
	}
}

func (m *matrix) at(x, y int) bool { return m.dark[y*m.size+x] }

// penalty is the standard's score of how hard the symbol is to read (long
// runs, 2×2 blocks, finder look-alikes, dark/light imbalance); lower is better.
func (m *matrix) penalty() int {
	n := m.size
	score := 0
	for _, horizontal := range []bool{true, false} {
		get := func(i, j int) bool { // i along the line, j the line
			if horizontal {
				return m.at(i, j)
			}
			return m.at(j, i)
		}
		for j := range n {
			run := 1
			for i := 1; i <= n; i++ {
				if i < n && get(i, j) == get(i-1, j) {
					run++
					continue
				}
				if run >= 5 {
					score += 3 + run - 5
				}
				run = 1
			}
			// 1:1:3:1:1 dark-light pattern with four light modules on either side.
			for i := 0; i+7 <= n; i++ {
				if get(i, j) && !get(i+1, j) && get(i+2, j) && get(i+3, j) && get(i+4, j) && !get(i+5, j) && get(i+6, j) {
					light := func(from, to int) bool {
						for k := from; k < to; k++ {
							if k >= 0 && k < n && get(k, j) {
								return false
							}
						}
						return true
					}
					if light(i-4, i) || light(i+7, i+11) {
						score += 40
					}
				}
			}
		}
	}
	dark := 0
	for y := range n {
		for x := range n {
			if m.at(x, y) {
				dark++
			}
			if x+1 < n && y+1 < n {
				c := m.at(x, y)
				if c == m.at(x+1, y) && c == m.at(x, y+1) && c == m.at(x+1, y+1) {
					score += 3
				}
			}
		}
	}
	total := n * n
	k := (abs(dark*20-total*10)+total-1)/total - 1
	return score + k*10
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// PNG renders text as a black-on-white PNG with scale pixels per module
// and the quiet zone.
func PNG(text string, scale int) ([]byte, error) {
	if scale < 1 {
		return nil, fmt.Errorf("qr: scale %d must be at least 1", scale)
	}
	c, err := Encode(text)
	if err != nil {
		return nil, err
	}
	side := (c.size + 2*QuietZone) * scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y := range c.size {
		for x := range c.size {
			if !c.Dark(x, y) {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetColorIndex((x+QuietZone)*scale+dx, (y+QuietZone)*scale+dy, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG renders text as a standalone SVG image: one path of dark modules on a
// white square, one user unit per module plus the quiet zone, with a
// default size of 4 pixels per module that CSS may override. It scales
// without blur, which suits a page that sizes the code itself.
func SVG(text string) ([]byte, error) {
	c, err := Encode(text)
	if err != nil {
		return nil, err
	}
	side := strconv.Itoa(c.size + 2*QuietZone)
	px := strconv.Itoa((c.size + 2*QuietZone) * 4)
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ` + side + ` ` + side +
		`" width="` + px + `" height="` + px + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="`)
	for y := range c.size {
		for x := 0; x < c.size; {
			if !c.Dark(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < c.size && c.Dark(x+run, y) {
				run++
			}
			buf := append(b.AvailableBuffer(), 'M')
			buf = strconv.AppendInt(buf, int64(x+QuietZone), 10)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(y+QuietZone), 10)
			buf = append(buf, 'h')
			buf = strconv.AppendInt(buf, int64(run), 10)
			buf = append(buf, "v1h-"...)
			buf = strconv.AppendInt(buf, int64(run), 10)
			b.Write(append(buf, 'z'))
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
