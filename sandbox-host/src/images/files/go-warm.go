package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	r := bufio.NewReader(os.Stdin)
	s, _ := r.ReadString('\n')
	xs := strings.Fields(s)
	sort.Strings(xs)
	n, _ := strconv.Atoi("1")
	fmt.Println(xs, n)
}
