// Package deploy holds the tests of golocust's deployment recipes: the
// container image and Docker Swarm stack (run on the local Docker engine)
// and the Helm chart (rendered with Helm's Go SDK and decoded strictly
// into the Kubernetes API types). It is a module of its own so that these
// test-only dependencies stay out of the library's go.mod.
package deploy
