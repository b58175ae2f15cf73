// Package proposals is the staff-congress proposals flow (教代会提案, issue 13): congress
// sessions and departments (imported from YAML, importfile.go), drafting by delegates, 附议 by
// each co-signer's own click, the committee's review, assignment to departments, replies,
// ratings and the statistics. Its card actions and commands are in routes.go; the state
// machine is in store (store.ProposalNext), the one place that says which step may follow
// which.
package proposals
