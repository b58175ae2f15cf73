// Package seed holds data that ships with unionbot: the ten tasks (十件实事) of the union's
// annual work plans, in the same YAML format as `unionbot tasks import -f FILE`.
package seed

import (
	"embed"
	"fmt"
)

//go:embed *-tasks.yaml
var files embed.FS

// Tasks returns the embedded task file of a year, or false when none ships.
func Tasks(year int) ([]byte, bool) {
	b, err := files.ReadFile(fmt.Sprintf("%d-tasks.yaml", year))
	return b, err == nil
}
