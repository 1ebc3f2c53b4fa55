"""Text relevance (services/partners/relevance.py): jieba's segments, BM25 over a fixed
vocabulary, and a segmenter that loads once, lazily and quietly."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from services.partners import relevance

ROOT = Path(__file__).resolve().parents[3]


def _score(need: str, offer: str, *, need_rest: str = "", offer_rest: str = "") -> float:
    return relevance.relevance(
        need_title=need, need_rest=(need_rest,), offer_title=offer, offer_rest=(offer_rest,)
    )


class TestTerms:
    def test_search_mode_segments_without_punctuation_or_stop_words(self) -> None:
        found = relevance.terms("为辖区12位孤寡老人每天提供早餐，谢谢！")
        assert {"孤寡老人", "孤寡", "老人", "早餐"} <= set(found)
        assert not {"为", "辖区", "提供", "位", "12", "，", "！"} & set(found)

    def test_probes_are_the_terms_that_hold_no_shorter_term(self) -> None:
        # a text holding 孤寡老人 holds 孤寡 and 老人: probing for those finds it
        assert relevance.probes(title="孤寡老人早餐", rest=("每天12份",)) == [
            "份",
            "孤寡",
            "早餐",
            "每天",
            "老人",
        ]
        assert relevance.probes(title="", rest=("！",)) == []


class TestRelevance:
    def test_shared_words_count_and_unrelated_texts_score_zero(self) -> None:
        breakfast = _score("孤寡老人早餐", "爱心早餐", offer_rest="包子、鸡蛋、豆浆")
        assert 0 < breakfast < 1
        assert _score("孤寡老人早餐", "洗衣粉", offer_rest="家用洗衣粉") == 0
        # more of the need's words in the resource's text is more relevant, never above 1
        elders = _score("孤寡老人早餐", "孤寡老人爱心早餐")
        assert breakfast < elders <= 1
        assert _score("", "爱心早餐") == 0  # a need without words matches no text

    def test_rare_words_weigh_more_than_common_ones(self) -> None:
        # 血压计 is rarer in jieba's counts than 使用: sharing it says more
        assert _score("血压计使用", "电子血压计") > _score("血压计使用", "使用说明")

    def test_the_shared_words_are_listed_longest_and_rarest_first(self) -> None:
        shared = relevance.common(
            need_title="独居老人烟感报警",
            need_rest=("安装烟感报警器",),
            offer_title="烟雾报警器",
            offer_rest=("独立式烟感报警器",),
        )
        assert "报警器" in shared and "报警" not in shared  # the shorter word inside is dropped


class TestLoading:
    def test_jieba_loads_on_first_use_only_once_and_quietly(self) -> None:
        # a fresh interpreter: building the app does not import jieba; eight threads asking for
        # terms at once load one tokenizer; nothing is printed (jieba logs to stderr by default)
        script = textwrap.dedent(
            """
            import os, sys, threading
            os.environ.setdefault("ENVIRONMENT", "dev")
            import api.app, schema, services.partners
            assert "jieba" not in sys.modules, "jieba imported at start-up"
            from services.partners import relevance
            seen = []
            def work():
                relevance.terms("孤寡老人早餐")
                seen.append(id(relevance._tokenizer))
            threads = [threading.Thread(target=work) for _ in range(8)]
            for t in threads: t.start()
            for t in threads: t.join()
            assert len(set(seen)) == 1 and len(seen) == 8, seen
            print("ok")
            """
        )
        done = subprocess.run(
            [sys.executable, "-W", "error", "-c", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "ok", "")
