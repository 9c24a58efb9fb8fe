//! Small graph algorithms used on the resolved schema.

/// Tarjan's strongly connected components, iterative (no recursion, so deep graphs cannot
/// overflow the stack). Returns the component id of every node.
pub(crate) fn strongly_connected(adjacency: &[Vec<usize>]) -> Vec<usize> {
    let n = adjacency.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![usize::MAX; n];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut next_component = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, position of the next edge to visit)
        let mut work = vec![(root, 0usize)];
        while let Some(top) = work.len().checked_sub(1) {
            let (node, edge) = work[top];
            if edge == 0 && index[node] == usize::MAX {
                index[node] = next_index;
                low[node] = next_index;
                next_index += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&next) = adjacency[node].get(edge) {
                work[top].1 += 1;
                if index[next] == usize::MAX {
                    work.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index[next]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = next_component;
                    if member == node {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

#[cfg(test)]
mod tests {
    use super::strongly_connected;

    #[test]
    fn finds_cycles_and_self_loops() {
        // 0 -> 1 -> 2 -> 0, 3 -> 3, 4 -> 0
        let graph = vec![vec![1], vec![2], vec![0], vec![3], vec![0]];
        let c = strongly_connected(&graph);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[3], c[0]);
        assert_ne!(c[4], c[0]);
        assert_ne!(c[4], c[3]);
    }
}
