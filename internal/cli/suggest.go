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

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
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
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
