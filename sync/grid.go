package statesync

import (
	"math"
	"slices"
)

// Grid is spatial interest on a rectangular map: it numbers square cells
// as view groups (Base + row*Cols + col), so that an entity's group is the
// cell it stands in (Encoder.SetGroup) and a client's View holds the cells
// around its own entity: a square of cells (Around, or Window, kept inside
// the map) or a radius around its position with hysteresis (Near). Track
// adds hysteresis to an entity's cell: a position must go Margin past its
// cell's edge before it changes cell, so an entity moving along an edge
// does not flicker in and out of views. Views holding the same cells get
// the same frame, assembled once (Encoder.ShareViewDelta).
type Grid struct {
	Cell       float64 // side of a cell, > 0
	Cols, Rows int     // cells across and down, > 0
	Base       Group   // group of cell (0, 0); use one above the game's other groups
	Margin     float64 // hysteresis, in map units (< Cell/2)
}

// CellAt returns the group of the cell holding (x, y); positions outside
// the grid belong to the nearest edge cell.
func (g Grid) CellAt(x, y float64) Group {
	col := clampCell(x/g.Cell, g.Cols)
	row := clampCell(y/g.Cell, g.Rows)
	return g.Base + Group(row*g.Cols+col)
}

func clampCell(f float64, n int) int {
	i := int(math.Floor(f))
	return max(0, min(n-1, i))
}

// Track returns the cell an entity at (x, y) belongs to when it belonged to
// cur: cur while (x, y) is within Margin of cur's square, else CellAt.
func (g Grid) Track(cur Group, x, y float64) Group {
	i := int(cur) - int(g.Base)
	if i < 0 || i >= g.Cols*g.Rows {
		return g.CellAt(x, y)
	}
	x0, y0 := float64(i%g.Cols)*g.Cell, float64(i/g.Cols)*g.Cell
	if x >= x0-g.Margin && x < x0+g.Cell+g.Margin && y >= y0-g.Margin && y < y0+g.Cell+g.Margin {
		return cur
	}
	return g.CellAt(x, y)
}

// Around appends to dst the cells within r cells of cell c (a square of
// (2r+1)² cells, clipped to the grid) and returns it: a View's groups for a
// client whose entity is in c.
func (g Grid) Around(dst []Group, c Group, r int) []Group {
	i := int(c) - int(g.Base)
	if i < 0 || i >= g.Cols*g.Rows {
		return dst
	}
	col, row := i%g.Cols, i/g.Cols
	for y := max(0, row-r); y <= min(g.Rows-1, row+r); y++ {
		for x := max(0, col-r); x <= min(g.Cols-1, col+r); x++ {
			dst = append(dst, g.Base+Group(y*g.Cols+x))
		}
	}
	return dst
}

// Window appends to dst the (2r+1)² cells of the square of cells centred on
// cell c, moved inside the grid where c is within r cells of an edge (like
// a camera that stops at the map's edges), and returns it: a View's groups
// that cover as much of the map wherever the client stands, so that a
// client near an edge sees as many neighbours as one in the middle. On a
// grid narrower than 2r+1 cells the square is clipped to it.
func (g Grid) Window(dst []Group, c Group, r int) []Group {
	i := int(c) - int(g.Base)
	if i < 0 || i >= g.Cols*g.Rows {
		return dst
	}
	col0 := windowStart(i%g.Cols, r, g.Cols)
	row0 := windowStart(i/g.Cols, r, g.Rows)
	for y := row0; y < min(g.Rows, row0+2*r+1); y++ {
		for x := col0; x < min(g.Cols, col0+2*r+1); x++ {
			dst = append(dst, g.Base+Group(y*g.Cols+x))
		}
	}
	return dst
}

// windowStart is the first of 2r+1 cells around cell i, kept within n.
func windowStart(i, r, n int) int {
	return max(0, min(i-r, n-(2*r+1)))
}

// Near appends to dst the cells a client at (x, y) sees with a circular
// view of radius r around its own entity, and returns it (sorted): the
// cells whose square comes within r of (x, y), and, with hysteresis, those
// of held (the view's groups now, sorted, as View.Groups returns them) that
// are still within r+h, so that a view whose edge runs along a cell's does
// not flicker. dst must not share memory with held.
func (g Grid) Near(dst, held []Group, x, y, r, h float64) []Group {
	reach := r + h
	col0, col1 := clampCell((x-reach)/g.Cell, g.Cols), clampCell((x+reach)/g.Cell, g.Cols)
	row0, row1 := clampCell((y-reach)/g.Cell, g.Rows), clampCell((y+reach)/g.Cell, g.Rows)
	for row := row0; row <= row1; row++ {
		dy := axisGap(y, float64(row)*g.Cell, g.Cell)
		for col := col0; col <= col1; col++ {
			dx := axisGap(x, float64(col)*g.Cell, g.Cell)
			d := math.Hypot(dx, dy)
			c := g.Base + Group(row*g.Cols+col)
			if d <= r {
				dst = append(dst, c)
			} else if d <= reach {
				if _, held := slices.BinarySearch(held, c); held {
					dst = append(dst, c)
				}
			}
		}
	}
	return dst
}

// axisGap is the distance from v to the span [lo, lo+size] on one axis.
func axisGap(v, lo, size float64) float64 {
	return max(0, lo-v, v-(lo+size))
}
