// Label selectors and list queries as the API server expects them.
#include "kubernetes/label_selector.hpp"

#include <gtest/gtest.h>

namespace meshorch::kubernetes::test {
namespace {

TEST(LabelSelector, JoinsEqualityRequirementsInKeyOrder) {
    EXPECT_EQ(detail::label_selector({}), "");
    EXPECT_EQ(detail::label_selector({{"version", "v1"}, {"app", "reviews"}}),
              "app=reviews,version=v1");
    EXPECT_EQ(detail::label_selector({{"app.kubernetes.io/managed-by", "meshorch"}}),
              "app.kubernetes.io/managed-by=meshorch");
}

TEST(LabelSelector, ListQueriesEncodeEveryPart) {
    EXPECT_EQ(detail::list_query("", 0, ""), "");
    EXPECT_EQ(detail::list_query("app=reviews,version=v1", 500, ""),
              "?labelSelector=app%3Dreviews%2Cversion%3Dv1&limit=500");
    EXPECT_EQ(detail::list_query("a.io/b=c", 2, "eyJ2IjoxfQ=="),
              "?labelSelector=a.io%2Fb%3Dc&limit=2&continue=eyJ2IjoxfQ%3D%3D");
    EXPECT_EQ(detail::list_query("", 10, "tok"), "?limit=10&continue=tok");
}

}  // namespace
}  // namespace meshorch::kubernetes::test
