package signup

// TeamProblems is teamProblems, for the external tests.
var TeamProblems = teamProblems
