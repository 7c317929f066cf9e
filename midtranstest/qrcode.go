package midtranstest

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
)

// A minimal QR Code encoder (ISO/IEC 18004): byte mode, error correction level M,
// versions 1–13, fixed mask 0. Enough for QRIS payloads, so the simulator's
// generate-qr-code actions return a PNG that phone QR readers scan. It follows the
// structure of Project Nayuki's reference encoder.

// qrBlocks: per version (index = version), EC codewords per block and the data codeword
// counts of the short and long blocks (level M).
type qrBlockSpec struct {
	ec                   int
	shortBlocks, shortCW int
	longBlocks, longCW   int
}

func qrSpec(version int) qrBlockSpec {
	return [...]qrBlockSpec{
		{}, {10, 1, 16, 0, 0}, {16, 1, 28, 0, 0}, {26, 1, 44, 0, 0}, {18, 2, 32, 0, 0}, {24, 2, 43, 0, 0},
		{16, 4, 27, 0, 0}, {18, 4, 31, 0, 0}, {22, 2, 38, 2, 39}, {22, 3, 36, 2, 37}, {26, 4, 43, 1, 44},
		{30, 1, 50, 4, 51}, {22, 6, 36, 2, 37}, {22, 8, 37, 1, 38},
	}[version]
}

func qrAlignment(version int) []int {
	return [...][]int{nil, nil, {6, 18}, {6, 22}, {6, 26}, {6, 30}, {6, 34}, {6, 22, 38}, {6, 24, 42},
		{6, 26, 46}, {6, 28, 50}, {6, 30, 54}, {6, 32, 58}, {6, 34, 62}}[version]
}

const qrMaxVersion = 13

type qrMatrix struct {
	size     int
	dark     [][]bool
	function [][]bool
}

func (q *qrMatrix) set(x, y int, dark bool) {
	q.dark[y][x] = dark
	q.function[y][x] = true
}

// qrEncode returns the module matrix for data.
func qrEncode(data []byte) (*qrMatrix, error) {
	version := 0
	for v := 1; v <= qrMaxVersion; v++ {
		sp := qrSpec(v)
		capacity := sp.shortBlocks*sp.shortCW + sp.longBlocks*sp.longCW
		countBits := 8
		if v >= 10 {
			countBits = 16
		}
		if 4+countBits+8*len(data) <= capacity*8 {
			version = v
			break
		}
	}
	if version == 0 {
		return nil, errors.New("midtranstest: QR payload too long")
	}
	sp := qrSpec(version)
	capacity := sp.shortBlocks*sp.shortCW + sp.longBlocks*sp.longCW

	// bit stream: byte mode, count, data, terminator, padding
	var bits []bool
	put := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	put(0b0100, 4)
	if version >= 10 {
		put(len(data), 16)
	} else {
		put(len(data), 8)
	}
	for _, b := range data {
		put(int(b), 8)
	}
	put(0, min(4, capacity*8-len(bits)))
	put(0, (8-len(bits)%8)%8)
	cw := make([]byte, 0, capacity)
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for j := 0; j < 8; j++ {
			if bits[i+j] {
				b |= 1 << (7 - j)
			}
		}
		cw = append(cw, b)
	}
	for pad := byte(0xEC); len(cw) < capacity; pad ^= 0xEC ^ 0x11 {
		cw = append(cw, pad)
	}

	// split into blocks, add Reed-Solomon codewords, interleave
	div := rsDivisor(sp.ec)
	var blocks, ecs [][]byte
	off := 0
	for i := 0; i < sp.shortBlocks+sp.longBlocks; i++ {
		n := sp.shortCW
		if i >= sp.shortBlocks {
			n = sp.longCW
		}
		blocks = append(blocks, cw[off:off+n])
		ecs = append(ecs, rsRemainder(cw[off:off+n], div))
		off += n
	}
	var final []byte
	for i := 0; i < max(sp.shortCW, sp.longCW); i++ {
		for _, b := range blocks {
			if i < len(b) {
				final = append(final, b[i])
			}
		}
	}
	for i := 0; i < sp.ec; i++ {
		for _, e := range ecs {
			final = append(final, e[i])
		}
	}

	size := version*4 + 17
	q := &qrMatrix{size: size, dark: make([][]bool, size), function: make([][]bool, size)}
	for i := range size {
		q.dark[i] = make([]bool, size)
		q.function[i] = make([]bool, size)
	}
	for i := range size { // timing patterns
		q.set(6, i, i%2 == 0)
		q.set(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {size - 4, 3}, {3, size - 4}} { // finders + separators
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x >= 0 && x < size && y >= 0 && y < size {
					d := max(abs(dx), abs(dy))
					q.set(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	al := qrAlignment(version)
	for i, ax := range al {
		for j, ay := range al {
			last := len(al) - 1
			if i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0 {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					q.set(ax+dx, ay+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	const mask = 0
	q.drawFormat(mask)
	if version >= 7 {
		rem := version
		for range 12 {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		vbits := version<<12 | rem
		for i := range 18 {
			bit := vbits>>i&1 == 1
			a, b := size-11+i%3, i/3
			q.set(a, b, bit)
			q.set(b, a, bit)
		}
	}

	// data in the zigzag order, then mask 0 ((x+y) even) on non-function modules
	i := 0
	for right := size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := range size {
			for j := range 2 {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = size - 1 - vert
				}
				if !q.function[y][x] && i < len(final)*8 {
					q.dark[y][x] = final[i>>3]>>(7-i&7)&1 == 1
					i++
				}
			}
		}
	}
	for y := range size {
		for x := range size {
			if !q.function[y][x] && (x+y)%2 == 0 {
				q.dark[y][x] = !q.dark[y][x]
			}
		}
	}
	return q, nil
}

// drawFormat writes both copies of the format information (level M = 0b00).
func (q *qrMatrix) drawFormat(mask int) {
	data := 0<<3 | mask
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>i&1 == 1 }
	for i := 0; i <= 5; i++ {
		q.set(8, i, bit(i))
	}
	q.set(8, 7, bit(6))
	q.set(8, 8, bit(7))
	q.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		q.set(14-i, 8, bit(i))
	}
	for i := 0; i < 8; i++ {
		q.set(q.size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		q.set(8, q.size-15+i, bit(i))
	}
	q.set(8, q.size-8, true)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// gfMul multiplies in GF(2^8) modulo x^8+x^4+x^3+x^2+1.
func gfMul(x, y byte) byte {
	var z int
	for i := 7; i >= 0; i-- {
		z = z<<1 ^ (z>>7)*0x11D
		z ^= int(y>>i&1) * int(x)
	}
	return byte(z)
}

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

// qrPNG renders text as a QR code PNG: 6 pixels per module and the 4-module quiet zone.
func qrPNG(text string) ([]byte, error) {
	q, err := qrEncode([]byte(text))
	if err != nil {
		return nil, err
	}
	const scale, quiet = 6, 4
	side := (q.size + 2*quiet) * scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y := range q.size {
		for x := range q.size {
			if !q.dark[y][x] {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetColorIndex((x+quiet)*scale+dx, (y+quiet)*scale+dy, 1)
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
