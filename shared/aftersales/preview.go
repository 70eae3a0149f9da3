package aftersales

// Preview is what would happen to an application made now (F14): the case
// as the merchant's rules would leave it, computed by the same validation
// and the same rules as opening one, with nothing stored. Its deadlines
// count from the moment of the preview; the real case's count from when
// its workflow begins each wait.
type Preview struct {
	// Case is the case as the rules would leave it (status, lines,
	// requested and approved amounts, decision); it has no id and exists
	// nowhere.
	Case *Case
	// Decision is the rules' decision: the rule id and rule set version,
	// or a manual review.
	Decision Decision
	// Next is what the case would wait for, with its deadline; nil when
	// the case would end at once.
	Next *NextStep
}
