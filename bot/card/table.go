package card

// MaxTables is the most tables Feishu shows in one card; MaxTableColumns the most columns of
// one table; a table shows at most MaxTablePageSize rows a page and pages through the rest.
const (
	MaxTables        = 5
	MaxTableColumns  = 50
	MaxTablePageSize = 10
)

// TableColumn is one column of a Table: Name keys the rows' cells, Label is the header, and
// Number right-aligns a numeric column (its cells should be numbers).
type TableColumn struct {
	Name   string
	Label  string
	Number bool
	Width  string // "auto" (default), "80px" to "600px", or a percentage
}

// Table is Feishu's table component: a header and rows (cell values by column name: strings
// or numbers), PageSize rows a page (1 to 10, default 5; clients page through the rest). A
// table must sit at the root of the body, at most MaxTables in a card; the first column stays
// in view when the others scroll. No rows render nothing.
func Table(pageSize int, cols []TableColumn, rows []map[string]any) Element {
	return elementFunc(func(dst []node) []node {
		if len(rows) == 0 {
			return dst
		}
		n := node{Tag: tagTable, PageSize: pageSize, FreezeFirst: true, Rows: rows}
		for _, c := range cols {
			col := node{Name: c.Name, DisplayName: c.Label, DataType: "text", Width: or(c.Width, "auto")}
			if c.Number {
				col.DataType, col.HorizontalAlign = "number", "right"
			}
			n.Columns = append(n.Columns, col)
		}
		return append(dst, n)
	})
}
