package cli

import "strings"

// suggest returns the candidate nearest to name in edit distance (ignoring
// case), or a candidate that name is the only prefix of, or "" when
// nothing is close enough to be a likely typo.
func suggest(name string, candidates []string) string {
	lname := strings.ToLower(name)
	limit := len(name) / 3
	if limit < 1 && len(name) >= 3 {
		limit = 1
	}
	best, bestDist := "", limit+1
	var prefixed []string
	for _, c := range candidates {
		if len(c) == 1 && len(name) > 2 {
			continue // a short alias is never the intended long name
		}
		if d := editDistance(lname, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
		if len(name) >= 3 && strings.HasPrefix(c, name) {
			prefixed = append(prefixed, c)
		}
	}
	if best == "" && len(prefixed) == 1 {
		return prefixed[0]
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b,
// in bytes: Levenshtein's insertions, deletions and substitutions, plus
// the swap of two adjacent letters ("usres" is one edit from "users").
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
